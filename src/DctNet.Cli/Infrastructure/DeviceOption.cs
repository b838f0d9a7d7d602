using System.CommandLine;

namespace DctNet.Cli;

/// <summary>--device, shared by the commands that run a model.</summary>
internal static class DeviceOption
{
    public static Option<string> Create()
    {
        var option = new Option<string>("--device")
        {
            Description = "Where the model runs: cpu, or cuda / cuda:N with a CUDA build of libtorch (DctNet ships the CPU one).",
            HelpName = "cpu|cuda[:N]",
            DefaultValueFactory = _ => ComputeDevice.Default,
        };
        option.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>();
            try
            {
                ComputeDevice.Parse(value);
            }
            catch (ArgumentException e)
            {
                result.AddError($"--device: {UsageException.WithoutParameterName(e)}");
            }
        });
        return option;
    }
}

using System.CommandLine;
using DctNet.Detection.Modeling;

namespace DctNet.Cli;

/// <summary>The options shared by the detection commands.</summary>
internal static class DetectionOptions
{
    public static Option<string> Model() => new("--model")
    {
        Description = $"Detection model: {string.Join(", ", DetectionModels.All.Select(d => d.Name))}.",
        HelpName = "name",
        Required = true,
    };

    public static DetectionModelDefinition ResolveModel(string name)
    {
        try
        {
            return DetectionModels.Find(name);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--model: {ModelOptions.WithoutParameterName(e)}");
        }
    }
}

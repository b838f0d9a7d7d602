using System.CommandLine;
using DctNet.Models;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet models</c>: the registry, one model per line.</summary>
internal static class ModelsCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("models", """
            Lists the models: RGB baselines (torchvision's) and frequency-domain models (the release's), with their input.

            Example:
              dctnet models
            """);
        command.SetAction(_ =>
        {
            int width = ModelRegistry.Models.Names.Max(n => n.Length);
            foreach (var model in ModelRegistry.Models)
            {
                var geometry = model.DefaultInput.Geometry;
                string input = model.TakesDct
                    ? $"DCT C x {geometry.BlocksPerSide} x {geometry.BlocksPerSide} (resize {geometry.Resize}, crop {geometry.Crop})"
                    : $"RGB 3 x {geometry.Crop} x {geometry.Crop} (resize {geometry.Resize}, crop {geometry.Crop})";
                context.Out.WriteLine($"{model.Name.PadRight(width)}  {input}  {model.Description}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}

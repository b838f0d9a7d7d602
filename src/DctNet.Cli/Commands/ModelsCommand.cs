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
            int width = ModelRegistry.Names.Max(n => n.Length);
            foreach (var model in ModelRegistry.Models)
            {
                string input = model.DctGeometry is { } geometry
                    ? $"DCT C x {geometry.BlocksPerSide} x {geometry.BlocksPerSide} (resize {geometry.Resize}, crop {geometry.Crop})"
                    : "RGB 3 x 224 x 224 (resize 256, crop 224)";
                context.Out.WriteLine($"{model.Name.PadRight(width)}  {input}  {model.Description}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}

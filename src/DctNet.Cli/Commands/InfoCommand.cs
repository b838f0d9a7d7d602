using System.CommandLine;
using System.Globalization;
using DctNet.Models;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet info --model M</c>: parameters, MACs per image and input of a model.</summary>
internal static class InfoCommand
{
    public static Command Create(CliContext context)
    {
        var options = new ModelOptions();
        var command = new Command("info", """
            Prints a model's parameter count, multiply-accumulates per image (Conv2d and Linear) and input shape.

            Examples:
              dctnet info --model resnet50-dct --channels 24
              dctnet info --model resnet50
              dctnet info --model mobilenetv2-dct --channels 32
            """)
        {
            options.All
        };
        command.SetAction(parse =>
        {
            var (definition, input, model) = options.Create(parse);
            using (model)
            {
                var info = ModelInfo.Measure(model, input.Shape);
                string pipeline = input switch
                {
                    DctInput dct => $"DCT, channels {dct.Channels.Name}, resize {dct.Geometry.Resize}, crop {dct.Geometry.Crop}",
                    RgbInput rgb => $"RGB, resize {rgb.Geometry.Resize}, crop {rgb.Geometry.Crop}, ImageNet mean/std",
                    _ => input.ToString(),
                };
                // One WriteLine a line: the output writer shows a line break inside a value as \n (see PrintableWriter).
                context.Out.WriteLine($"model:       {definition.Name} - {definition.Description}");
                context.Out.WriteLine($"input:       {string.Join(" x ", info.InputShape)} ({pipeline})");
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parameters:  {info.Parameters:N0} ({info.Parameters / 1e6:0.000} M)"));
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MACs/image:  {info.MacsPerImage:N0} ({info.MacsPerImage / 1e9:0.000} GMAC)"));
                context.Out.WriteLine($"inference:   {EngineOption.Name(EngineOption.Default)} engine on the CPU (predict, eval; --engine torch for libtorch); 'dctnet export' writes it as ONNX");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}

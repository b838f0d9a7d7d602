using System.CommandLine;
using DctNet.Inference;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet convert</c>: weights from any supported file, validated against the model, to a DctNet checkpoint or a PyTorch file.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliContext context)
    {
        var weights = new WeightsOptions();
        var output = new Option<string>("--out")
        {
            Description = "The file to write; its extension chooses the format: .safetensors for a DctNet checkpoint (weights plus the model, "
                + "classes, channels, normalization and layer2 stride, so that later commands need no options), .pth/.pt/.pth.tar for "
                + "a PyTorch state_dict (torchvision's names for RGB models, the release's for DCT models) that torch.load and "
                + "load_state_dict accept. Written atomically.",
            HelpName = "OUT.safetensors|OUT.pth",
            Required = true,
        }.OutputFile();
        var releaseLayout = new Option<bool>("--release-layout")
        {
            Description = "PyTorch output only: write what the release's training script saves - DataParallel's 'module.' before every key, "
                + "nested as {epoch, arch, state_dict, best_prec1} (epoch and best_prec1 0) - so that the release's scripts load it.",
        };

        var command = new Command("convert", """
            Converts weights between PyTorch files and DctNet checkpoints. It reads any supported weights, loads them
            strictly into the named model (every key and shape must match, so the output is known to work), and writes
            them in the format of --out.

            Examples:
              dctnet convert --model resnet50-dct --channels 24 --weights model_best.pth.tar --out resnet50-dct24.safetensors
              dctnet convert --model resnet50-dct --weights resnet50-dct24.safetensors --out model_best.pth.tar --release-layout
              dctnet convert --model resnet50 --weights resnet50-0676ba61.pth --out resnet50.safetensors
              dctnet convert --model mobilenetv2-dct --weights runs/birds/ --out birds.pth
            """)
        {
            weights.Selection, output, releaseLayout
        };

        command.SetAction(parse =>
        {
            string target = parse.GetRequiredValue(output);
            bool release = parse.GetValue(releaseLayout);
            var format = UsageException.Guard("--out ", () => WeightsExport.FormatOf(target));
            if (release && format != WeightsExportFormat.PyTorch)
                throw new UsageException("--release-layout is a PyTorch layout; write a .pth (or .pth.tar) file with it.");

            using var model = weights.Load(parse, foldBatchNorm: false);
            if (Path.GetDirectoryName(Path.GetFullPath(target)) is { } directory)
                Directory.CreateDirectory(directory);
            WeightsExport.Save(model, target, release);
            string written = format == WeightsExportFormat.DctNetCheckpoint
                ? "DctNet checkpoint"
                : release ? "PyTorch file, release layout" : "PyTorch state_dict";
            string channels = model.Channels is { } subset ? $", channels {subset.Name}" : "";
            context.Out.WriteLine($"{model.WeightsPath} ({model.WeightsFormat}) -> {target} ({written}): {model.Definition.Name}{channels}, "
                + $"{model.Classes} classes{(model.HasInputGate ? ", input gate" : "")}");
            return ExitCodes.Success;
        });
        return command;
    }
}

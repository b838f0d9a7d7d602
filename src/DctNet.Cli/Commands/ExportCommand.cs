using System.CommandLine;
using System.Globalization;
using DctNet.Export;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet export</c>: a model with its weights as an ONNX file that ONNX Runtime (or any ONNX runtime) deploys.</summary>
internal static class ExportCommand
{
    public static Command Create(CliContext context)
    {
        var weights = new WeightsOptions();
        var output = new Option<string>("--out")
        {
            Description = "The ONNX file to write, whole or not at all.",
            HelpName = "model.onnx",
            Required = true,
        }.OutputFile();
        var noFold = new Option<bool>("--no-fold")
        {
            Description = "Keep each BatchNorm as a BatchNormalization node with the checkpoint's statistics, instead of merging it into "
                + "the convolution before it (the default: one Conv per pair, merged in float64, what inference runs).",
        };

        var command = new Command("export", $"""
            Writes a classifier with its weights as an ONNX file (opset {OnnxExport.Opset}), built from DctNet's modules: input 'input',
            float32 N x C x H x W with the batch N free, output 'logits', N x classes. Any ONNX runtime runs it;
            'dctnet predict/eval --engine onnxruntime' run the same graph.

            The file's metadata_props (dctnet.*) say how to make its input: the pipeline (dct or rgb), resize and crop,
            the channels (dctnet.channels.y/.cb/.cr, natural order 8v+u), and the mean and std of each input channel.
            'dctnet transform' with the same model's channels writes exactly that input.

            The input gate: a model whose weights have one is exported with it. The release samples Gumbel noise in
            evaluation too; the exported gate is deterministic instead - it keeps each channel whose 'on' logit is
            the larger - unless the caller feeds the optional input 'gumbel_noise' (N x 192 x 2), which samples the
            gates as the release does (the onnxruntime engine feeds the noise of --seed, so both engines agree).
            For a fixed, smaller input, export a static subset: 'dctnet analyze --export-subset', then train and
            export a model on that subset.

            Examples:
              dctnet export --model resnet50-dct --channels 24 --weights model_best.pth.tar --out resnet50-dct24.onnx
              dctnet export --model mobilenetv2 --weights mobilenet_v2.pth --out mobilenetv2.onnx
              dctnet export --model resnet50-dct-s2 --weights runs/gated/ --out gated.onnx
            """)
        {
            weights.Selection, output, noFold
        };

        command.SetAction(parse =>
        {
            string target = parse.GetRequiredValue(output);
            using var model = weights.Load(parse, foldBatchNorm: false);
            bool fold = !parse.GetValue(noFold);
            OnnxExport.Save(model, target, fold);
            var contract = OnnxExport.ContractOf(model);
            string input = string.Join(" x ", contract.Shape);
            string size = (new FileInfo(target).Length / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
            context.Out.WriteLine($"{model.WeightsPath} -> {target} (ONNX opset {OnnxExport.Opset}, {size} MiB): {model.Definition.Name}, input N x {input}"
                + $"{(contract.Channels is { } channels ? $" (channels {channels.Name})" : "")}, {model.Classes} classes, BatchNorms {(fold ? "folded" : "kept")}"
                + $"{(model.HasInputGate ? ", input gate (deterministic; optional input gumbel_noise)" : "")}");
            return ExitCodes.Success;
        });
        return command;
    }
}

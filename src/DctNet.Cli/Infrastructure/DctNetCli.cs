using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using DctNet.Checkpoints;
using DctNet.Cli.Commands;
using DctNet.Detection.Coco;
using DctNet.Detection.Data;
using DctNet.Inference;

namespace DctNet.Cli;

/// <summary>The <c>dctnet</c> command line: parsing, dispatch and the error contract (one line on stderr, exit 2 for usage, 1 for failures).</summary>
public static partial class DctNetCli
{
    public const string Name = "dctnet";

    /// <summary>Runs a command line in-process with redirected output (no progress bar, no Ctrl+C handling); returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        => Run(args, new CliContext(stdout, stderr, interactive: false, CancellationToken.None));

    internal static int Run(string[] args, CliContext context)
    {
        var root = CreateRootCommand(context);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            string messages = string.Join(" ", parse.Errors.Select(e => CliContext.OneLine(e.Message)));
            context.Error.WriteLine($"error: {messages} (see '{CommandPath(parse.CommandResult)} --help')");
            return ExitCodes.Usage;
        }
        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return parse.Invoke(invocation);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"error: {CliContext.OneLineMessage(e.Message)} (see '{CommandPath(parse.CommandResult)} --help')");
            return ExitCodes.Usage;
        }
        catch (ModelRequestException e)
        {
            // The weights or the data contradict an option: fixed on the command line, like any usage error.
            context.Error.WriteLine($"error: {CliContext.OneLineMessage(e.Message)} (see '{CommandPath(parse.CommandResult)} --help')");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CheckpointException or CocoFormatException or DetectionDataException)
        {
            context.ReportError(e.Message);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (OutOfMemory(e) is { } problem)
        {
            // Not a bug but a request too large for this host: said as such, without the allocator's stack dump.
            context.ReportError($"out of memory: {problem}; smaller batches (--batch-size), fewer threads or smaller images need less.");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("DCTNET_TRACE") is not "1")
        {
            context.ReportError($"unexpected {e.GetType().Name}: {e.Message} (set DCTNET_TRACE=1 for the stack trace)");
            return ExitCodes.Failure;
        }
    }

    /// <summary>What failed to allocate, for .NET's OutOfMemoryException and libtorch's "can't allocate memory"; null for other exceptions.</summary>
    private static string? OutOfMemory(Exception e)
    {
        if (e is OutOfMemoryException)
            return ".NET could not allocate what this command needs";
        if (e is System.Runtime.InteropServices.ExternalException && e.Message.Contains("can't allocate memory", StringComparison.Ordinal))
            return LibtorchRequest().Match(e.Message) is { Success: true } request
                ? $"libtorch could not allocate {request.Groups[1].Value} bytes"
                : "libtorch could not allocate a tensor";
        return null;
    }

    [GeneratedRegex(@"tried to allocate (\d+) bytes")]
    private static partial Regex LibtorchRequest();

    internal static Command CreateRootCommand(CliContext context)
    {
        var root = new RootCommand("""
            dctnet: learning in the frequency domain (Xu et al., CVPR 2020) in C#.
            Turns images into the DCT-coefficient tensors that DCTNet models take as input, and runs the models.

            Examples:
              dctnet demo
              dctnet doctor
              dctnet transform photo.jpg --out photo.npy
              dctnet transform images/ --out features/ --channels 64
              dctnet models
              dctnet info --model resnet50-dct --channels 24
              dctnet predict --model resnet50-dct --channels 24 --weights model_best.pth.tar photo.jpg
              dctnet eval --model resnet50-dct --channels 24 --weights model_best.pth.tar --data imagenet/val --json result.json
              dctnet convert --model resnet50-dct --channels 24 --weights model_best.pth.tar --out resnet50-dct24.safetensors
              dctnet export --model resnet50-dct --channels 24 --weights model_best.pth.tar --out resnet50-dct24.onnx
              dctnet bench transform --data images/ --limit 200
              dctnet bench model --model resnet50-dct --batch-size 16
              dctnet detect --model maskrcnn-r50-fpn --weights maskrcnn_coco.pth photo.jpg --out out/
              dctnet train-det --model maskrcnn-r50-fpn-dct --init model_best.pth.tar --data train2017 --annotations instances_train2017.json --val-data val2017 --val-annotations instances_val2017.json --out runs/mask-dct24
              dctnet coco-eval --gt instances_val2017.json --dt detections.json --iou-type segm

            Exit codes: 0 success, 1 some input failed, 2 invalid command line (or options the weights or data contradict), 130 interrupted.
            Environment: DCTNET_KERNEL_PROTECTION=auto|on|off (capping oneDNN at AVX where its kernels are wrong; 'dctnet doctor'
            says what this host needs), ONEDNN_MAX_CPU_ISA (oneDNN's own cap, always respected), DCTNET_TRACE=1 (stack traces).
            """)
        {
            DemoCommand.Create(context), DoctorCommand.Create(context), TransformCommand.Create(context), StatsCommand.Create(context),
            ModelsCommand.Create(context), InfoCommand.Create(context), PredictCommand.Create(context), EvalCommand.Create(context),
            TrainCommand.Create(context), ConvertCommand.Create(context), ExportCommand.Create(context), AnalyzeCommand.Create(context), DetectCommand.Create(context),
            TrainDetCommand.Create(context), CocoEvalCommand.Create(context), BenchCommand.Create(context)
        };
        PathOptions.RefuseEmptyStrings(root);
        ShortenCommandListings(root);
        return root;
    }

    /// <summary>
    /// In a parent's list of commands, show only the first sentence of each description (with its examples the
    /// full text is long); the command's own --help keeps it all. System.CommandLine 3's help builder is internal,
    /// so the help action swaps the descriptions of the listed subcommands while it writes.
    /// </summary>
    private static void ShortenCommandListings(Command root)
    {
        if (root.Options.OfType<HelpOption>().FirstOrDefault() is { Action: HelpAction standard } option)
            option.Action = new ShortListingHelpAction(standard);
    }

    private sealed class ShortListingHelpAction(HelpAction standard) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var listed = parseResult.CommandResult.Command.Subcommands.ToList();
            var full = listed.Select(c => c.Description).ToList();
            try
            {
                foreach (var command in listed)
                    command.Description = command.Description is { } text ? FirstSentence(text) : null;
                return standard.Invoke(parseResult);
            }
            finally
            {
                for (int i = 0; i < listed.Count; i++)
                    listed[i].Description = full[i];
            }
        }
    }

    private static string FirstSentence(string text)
    {
        string paragraph = CliContext.OneLine(text.Split("\n\n", 2)[0].Replace("\r", "", StringComparison.Ordinal));
        int end = paragraph.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? paragraph : paragraph[..(end + 1)];
    }

    /// <summary>"dctnet bench transform", for the hint after an error.</summary>
    private static string CommandPath(CommandResult? command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is CommandResult c; result = c.Parent)
            names.Add(c.Command is RootCommand ? Name : c.Command.Name);
        names.Reverse();
        return names.Count == 0 ? Name : string.Join(' ', names);
    }
}

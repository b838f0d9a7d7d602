using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;
using DctNet.Onnx;
using DctNet.Platform;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary>
/// <c>dctnet doctor</c>: the host, the native libraries, what DctNet does about them, and a self-check of every kernel
/// configuration the models run, each against float64 in a worker process that may crash without taking doctor down.
/// </summary>
internal static class DoctorCommand
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static Command Create(CliContext context)
    {
        var json = new Option<string>("--json")
        {
            Description = "Also write the report as JSON: host, libraries, settings, and every checked case with its verdict and errors.",
            HelpName = "OUT.json",
        }.OutputFile();
        var noKernels = new Option<bool>("--no-kernels") { Description = "Skip the kernel self-check: only the host, the libraries and the settings." };
        var unprotected = new Option<bool>("--unprotected")
        {
            Description = $"Also run the self-check without DctNet's protection ({KernelProtection.ModeVariable}=off), to see what it prevents on this host. "
                + "Failures there do not change the exit code.",
        };
        var caseTimeout = PipelineOptions.PositiveInt("--case-timeout", "Seconds one case may run before it counts as hung (at most a day).", 300, 86_400);
        var worker = new Option<string>("--worker") { Hidden = true, Description = "Internal: run the cases of this file (a worker process)." };
        var first = new Option<int>("--first") { Hidden = true, Description = "Internal: the first case a worker runs." }.InRange(0, int.MaxValue);

        var command = new Command("doctor", """
            Checks that DctNet computes correctly on this host, and says what it does about anything it cannot trust.
            Prints the processor (model, instruction sets, caches as the OS and as oneDNN see them), the native libraries
            in use (JPEG decoder, libtorch, oneDNN and the instruction set it runs), the settings DctNet chose and why,
            then runs every distinct convolution and linear layer configuration of the registry's models and of the
            detectors - forward, and backward where they train, in the layout and batch they run - and compares it with
            the same operation in float64. Each case runs in a worker process: a fatal kernel fault is reported as a
            crashed case, naming the configuration, not as a crash. Exit code 0 only where every case passes with the
            settings DctNet runs with; 1 otherwise. Takes one to a few minutes.

            Examples:
              dctnet doctor
              dctnet doctor --json doctor.json
              dctnet doctor --unprotected      # what the protection prevents here
              dctnet doctor --no-kernels       # the host and the settings only
            """)
        {
            json, noKernels, unprotected, caseTimeout, worker, first
        };

        command.SetAction(parse =>
        {
            if (parse.GetValue(worker) is { } casesFile)
            {
                KernelSelfCheck.RunWorker(casesFile, parse.GetValue(first), context.Out);
                return ExitCodes.Success;
            }

            var host = HostProcessor.Describe();
            var libraries = NativeLibraries.InUse();
            var settings = KernelProtection.Settings;
            PrintHost(context.Out, host, libraries, settings);
            if (parse.GetValue(noKernels))
            {
                WriteJson(parse.GetValue(json), host, libraries, settings, null, null);
                return ExitCodes.Success;
            }

            var inventory = new KernelInventory();
            context.Out.WriteLine();
            context.Out.Write("Collecting the kernel cases of every model (float64)... ");
            var collect = Stopwatch.StartNew();
            inventory.AddRegistry();
            DetectionKernels.AddTo(inventory);
            var uses = inventory.Uses;
            context.Out.WriteLine($"{uses.Count} cases ({collect.Elapsed.TotalSeconds:0} s).");

            var timeout = TimeSpan.FromSeconds(parse.GetValue(caseTimeout));
            var report = Check(context, uses, timeout, protectionOff: false);
            PrintReport(context.Out, "Kernel self-check with the settings above", report);
            KernelSelfCheckReport? without = null;
            if (parse.GetValue(unprotected))
            {
                without = Check(context, uses, timeout, protectionOff: true);
                PrintReport(context.Out, $"Kernel self-check without the protection ({KernelProtection.ModeVariable}=off)", without);
            }
            WriteJson(parse.GetValue(json), host, libraries, settings, report, without);

            context.Out.WriteLine();
            if (report.Passed)
            {
                context.Out.WriteLine(settings.Protected
                    ? $"OK: every case passes with oneDNN capped at {settings.OneDnnMaxIsa}."
                    : "OK: every case passes.");
                return ExitCodes.Success;
            }
            context.Out.WriteLine($"FAILED: {report.Failures.Count()} of {report.Outcomes.Count} cases. DctNet's results on this host cannot be trusted as they are; "
                + "ONEDNN_MAX_CPU_ISA in the environment (AVX, or SSE41 below it) restricts oneDNN, and doctor run again says whether that is enough. "
                + "Please report this output.");
            return ExitCodes.Failure;
        });
        return command;
    }

    private static KernelSelfCheckReport Check(CliContext context, IReadOnlyList<KernelUse> uses, TimeSpan timeout, bool protectionOff)
    {
        int done = 0;
        KernelSelfCheckReport? report = null;
        ProgressDisplay.Run(context, protectionOff ? "kernels, unprotected" : "kernels", uses.Count, () => Volatile.Read(ref done), () =>
            report = KernelSelfCheck.Run(uses, (casesFile, firstCase) => WorkerStart(casesFile, firstCase, protectionOff), timeout,
                n => Volatile.Write(ref done, n), context.Cancellation));
        return report!;
    }

    /// <summary>This tool again, as a worker: its apphost when that is what runs, else <c>dotnet exec dctnet.dll</c> (tests, <c>dotnet run</c>).</summary>
    private static ProcessStartInfo WorkerStart(string casesFile, int firstCase, bool protectionOff)
    {
        string cli = typeof(DoctorCommand).Assembly.Location;
        string? process = Environment.ProcessPath;
        var start = process is not null && Path.GetFileNameWithoutExtension(process) == DctNetCli.Name
            ? new ProcessStartInfo(process)
            : new ProcessStartInfo(DotnetHost()) { ArgumentList = { "exec", cli } };
        foreach (string argument in new[] { "doctor", "--worker", casesFile, "--first", firstCase.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(argument);
        if (protectionOff)
            start.Environment[KernelProtection.ModeVariable] = "off";
        return start;
    }

    /// <summary>The dotnet host: the SDK names it in DOTNET_HOST_PATH for tests and builds; else this process if it is dotnet, else the one on PATH.</summary>
    private static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
            : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
            : "dotnet";

    /// <summary>The native libraries DctNet runs with, as the report and its JSON name them.</summary>
    private sealed record NativeLibraries(string JpegDecoder, string LibTorch, string? TorchSharp, int Threads)
    {
        public static NativeLibraries InUse()
            => new(ImageDecoder.Describe(ImageDecoder.DefaultJpegBackend), __version__, typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3), get_num_threads());
    }

    private static void PrintHost(TextWriter output, HostProcessor host, NativeLibraries libraries, KernelSettings settings)
    {
        output.WriteLine("Host");
        output.WriteLine($"  processor        {host.Model} ({host.Architecture}), {host.LogicalCores} logical cores");
        output.WriteLine($"  instruction sets {(host.InstructionSets.Count > 0 ? string.Join(' ', host.InstructionSets) : "unknown")}");
        output.WriteLine($"  caches (OS)      {(host.Caches.Count > 0 ? string.Join(", ", host.Caches.Select(c => $"{c.Name} {HostProcessor.FormatBytes(c.SizeBytes)} ({c.Associativity}-way)")) : "unknown")}");
        if (host.OneDnnCaches is { } view)
            output.WriteLine($"  caches (oneDNN)  L1d {HostProcessor.FormatBytes(view.L1DataPerCore)}, L2 {HostProcessor.FormatBytes(view.L2PerCore)}, "
                + $"L3 {HostProcessor.FormatBytes(view.L3PerCore)} per core, from {view.Source}{(view.IsDegenerate ? " - not a real processor's" : "")}");
        output.WriteLine();
        output.WriteLine("Native libraries");
        output.WriteLine($"  JPEG decoder     {libraries.JpegDecoder}");
        output.WriteLine($"  libtorch         {libraries.LibTorch} (TorchSharp {libraries.TorchSharp}), {libraries.Threads} threads");
        output.WriteLine($"  ONNX Runtime     {OnnxSession.RuntimeDescription}, its own MLAS kernels (no oneDNN)");
        output.WriteLine($"  .NET             {Environment.Version}");
        output.WriteLine();
        output.WriteLine("Settings");
        output.WriteLine($"  oneDNN           {(settings.OneDnnMaxIsa is { } isa ? $"instruction sets up to {isa}" : "every instruction set")}: {settings.Reason}");
        output.WriteLine($"  inference engine {EngineOption.Name(EngineOption.Default)} for predict, eval and bench model on the CPU (--engine torch for libtorch; "
            + "the oneDNN setting above applies to libtorch: training, analyze, detection and --engine torch)");
        output.WriteLine("  NNPACK           off: libtorch never prefers it to oneDNN for DctNet's float32 convolutions, and where it cannot run it prints a warning per convolution");
    }

    private static void PrintReport(TextWriter output, string title, KernelSelfCheckReport report)
    {
        var counts = report.Outcomes.GroupBy(o => o.Verdict).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine();
        output.WriteLine($"{title}: {report.Outcomes.Count} cases against float64 (bar {KernelCheck.Tolerance:0e+0} of the largest value), "
            + $"{report.Elapsed.TotalSeconds:0} s");
        output.WriteLine($"  oneDNN {report.OneDnnVersion ?? "(not reported)"}, instruction set: {report.OneDnnIsa ?? "(not reported)"}");
        output.WriteLine("  " + string.Join(", ", Enum.GetValues<KernelVerdict>().Select(v => $"{counts.GetValueOrDefault(v)} {v.ToString().ToLowerInvariant()}")));
        foreach (var failure in report.Failures)
        {
            output.WriteLine($"  {failure.Verdict.ToString().ToUpperInvariant()}  {failure.Use.Case.Description}: {failure.Detail}");
            if (failure.Implementations.Count > 0)
                output.WriteLine($"      oneDNN: {string.Join("; ", failure.Implementations)}");
            output.WriteLine($"      used by {string.Join(", ", failure.Use.UsedBy.Take(6))}{(failure.Use.UsedBy.Count > 6 ? $" and {failure.Use.UsedBy.Count - 6} more" : "")}");
        }
    }

    private static void WriteJson(string? path, HostProcessor host, NativeLibraries libraries, KernelSettings settings, KernelSelfCheckReport? report,
        KernelSelfCheckReport? unprotected)
    {
        if (path is null)
            return;
        var document = new
        {
            Host = host,
            Libraries = libraries,
            Settings = settings,
            Kernels = report is null ? null : Summarize(report),
            Unprotected = unprotected is null ? null : Summarize(unprotected),
            Passed = report?.Passed,
        };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(document, Indented) + "\n");
    }

    private static object Summarize(KernelSelfCheckReport report) => new
    {
        report.OneDnnVersion,
        report.OneDnnIsa,
        Seconds = Math.Round(report.Elapsed.TotalSeconds, 1),
        report.Passed,
        Cases = report.Outcomes.Select(o => new
        {
            Case = o.Use.Case.Description,
            o.Verdict,
            o.Errors,
            o.Implementations,
            o.Detail,
            o.Use.UsedBy,
        }),
    };
}

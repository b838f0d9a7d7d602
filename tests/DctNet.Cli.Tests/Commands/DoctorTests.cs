using System.Diagnostics;
using System.Text.Json;
using DctNet.Platform;

namespace DctNet.Cli.Tests.Commands;

/// <summary>
/// <c>dctnet doctor</c>: the report, the self-check of every kernel case of the registry and the detectors with the
/// settings DctNet runs with (so that a CI on an affected host fails here with a readable report, not with a crashed
/// test host), and the protection's mechanism, which can be forced on to be tested on any host.
/// </summary>
public sealed class DoctorTests
{
    [Fact]
    public void Every_kernel_case_passes_with_the_settings_dctnet_runs_with()
    {
        using var harness = new CliHarness();
        string json = harness.PathIn("doctor.json");

        var result = CliHarness.Run("doctor", "--json", json);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("OK: every case passes", result.Out, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var root = document.RootElement;
        Assert.True(root.GetProperty("passed").GetBoolean());
        var kernels = root.GetProperty("kernels");
        var cases = kernels.GetProperty("cases").EnumerateArray().ToList();
        Assert.True(cases.Count > 200, $"{cases.Count} cases");
        Assert.All(cases, c => Assert.Equal("passed", c.GetProperty("verdict").GetString()));
        // What the tests exist for: the 1x1 projections that crashed or were 50% off, and MobileNetV2's, are among them.
        Assert.Contains(cases, c => c.GetProperty("case").GetString() == "conv 1x1/1 256->1024, 2x256x14x14, channels-last, bias, forward");
        Assert.Contains(cases, c => c.GetProperty("case").GetString() == "conv 1x1/1 960->320, 2x960x7x7, channels-last, forward+backward");
        Assert.Contains(cases, c => c.GetProperty("case").GetString()!.StartsWith("transposed conv 2x2/2 256->256", StringComparison.Ordinal));
        Assert.Equal(KernelProtection.Settings.Protected, root.GetProperty("settings").GetProperty("protected").GetBoolean());
        if (KernelProtection.Settings.Protected)
            Assert.Equal("Intel AVX", kernels.GetProperty("one_dnn_isa").GetString());
    }

    [Fact]
    public void Without_kernels_it_reports_the_host_the_libraries_and_the_settings()
    {
        using var harness = new CliHarness();
        string json = harness.PathIn("host.json");

        var result = CliHarness.Run("doctor", "--no-kernels", "--json", json);

        Assert.Equal(0, result.ExitCode);
        foreach (string line in new[] { "processor", "instruction sets", "caches (OS)", "JPEG decoder", "libtorch", "oneDNN", "NNPACK" })
            Assert.Contains(line, result.Out, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(Environment.ProcessorCount, document.RootElement.GetProperty("host").GetProperty("logical_cores").GetInt32());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("kernels").ValueKind);
    }

    /// <summary>
    /// The mechanism in fresh processes, on any host: forced on, oneDNN must say it runs AVX; forced off, it must run the
    /// best set the processor has (/proc/cpuinfo's flags, not DctNet, say which); left alone, a worker must decide as this
    /// process did.
    /// </summary>
    [Fact]
    public void Workers_run_oneDNN_at_the_instruction_set_their_environment_decides()
    {
        string forcedOn = WorkerIsa("on"), forcedOff = WorkerIsa("off"), automatic = WorkerIsa(null);
        var flags = HostProcessor.Describe().InstructionSets;

        Assert.Equal("Intel AVX", forcedOn);
        if (flags.Contains("avx512f"))
            Assert.StartsWith("Intel AVX-512", forcedOff, StringComparison.Ordinal);
        else if (flags.Contains("avx2"))
            Assert.StartsWith("Intel AVX2", forcedOff, StringComparison.Ordinal);
        Assert.Equal(KernelProtection.Settings.Protected ? forcedOn : forcedOff, automatic);
    }

    /// <summary>The instruction set oneDNN reports in a worker that runs one 1x1 convolution with the given protection mode.</summary>
    private static string WorkerIsa(string? mode)
    {
        KernelUse[] uses = [new(new KernelCase(KernelOperation.Convolution, [2, 24, 14, 14], 64, [1, 1], [1, 1], [0, 0], [1, 1], [0, 0], 1,
            Bias: true, ChannelsLast: true, Backward: false), ["test"])];
        var report = KernelSelfCheck.Run(uses, (file, first) =>
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
            {
                ArgumentList = { "exec", typeof(DctNetCli).Assembly.Location, "doctor", "--worker", file, "--first", first.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            };
            start.Environment.Remove(KernelProtection.ModeVariable);
            if (mode is not null)
                start.Environment[KernelProtection.ModeVariable] = mode;
            return start;
        }, TimeSpan.FromMinutes(2));

        Assert.True(report.Passed || mode == "off", string.Join("; ", report.Outcomes.Select(o => o.Detail)));
        Assert.StartsWith("v3.", report.OneDnnVersion, StringComparison.Ordinal);
        Assert.NotEmpty(report.Outcomes[0].Implementations);
        return report.OneDnnIsa!;
    }
}

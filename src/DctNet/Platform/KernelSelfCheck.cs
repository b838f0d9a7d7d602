using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace DctNet.Platform;

/// <summary>What a case came to.</summary>
public enum KernelVerdict
{
    Passed,

    /// <summary>Ran, but a result is further from float64 than <see cref="KernelCheck.Tolerance"/>.</summary>
    Wrong,

    /// <summary>The process died inside the case (a fatal kernel fault such as SIGFPE).</summary>
    Crashed,

    /// <summary>libtorch refused the case with an error.</summary>
    Failed,

    /// <summary>No result within the time allowed.</summary>
    Hung,
}

/// <summary>A case's outcome: the verdict, the errors where it ran, the oneDNN implementations it used, and what went wrong.</summary>
public sealed record KernelOutcome(KernelUse Use, KernelVerdict Verdict, KernelErrors? Errors, IReadOnlyList<string> Implementations, string? Detail);

/// <summary>The outcome of every case, and what oneDNN said about itself while they ran.</summary>
public sealed record KernelSelfCheckReport(string? OneDnnVersion, string? OneDnnIsa, IReadOnlyList<KernelOutcome> Outcomes, TimeSpan Elapsed)
{
    public IEnumerable<KernelOutcome> Failures => Outcomes.Where(o => o.Verdict != KernelVerdict.Passed);

    public bool Passed => Outcomes.All(o => o.Verdict == KernelVerdict.Passed);
}

/// <summary>
/// Runs <see cref="KernelCheck"/> over many cases in a worker process, so that a fatal fault in a native kernel ends the
/// worker, not the caller: the case in progress is reported as <see cref="KernelVerdict.Crashed"/> (with the signal) and
/// a new worker goes on from the next case. The worker runs with <c>ONEDNN_VERBOSE=1</c>, so that each case names the
/// oneDNN implementations it used and oneDNN states its version and instruction set.
/// </summary>
public static class KernelSelfCheck
{
    private const string CasePrefix = "@case ";
    private const string ResultPrefix = "@result ";
    private const string ErrorPrefix = "@error ";
    private const string OneDnnPrefix = "onednn_verbose,";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>
    /// Checks every case in workers started by <paramref name="worker"/>(cases file, first case index), which must run
    /// <see cref="RunWorker"/> and inherit the settings to check (environment).
    /// </summary>
    /// <param name="caseTimeout">How long one case may take before its worker is killed and the case reported as hung.</param>
    /// <param name="progress">Called with the number of cases done.</param>
    public static KernelSelfCheckReport Run(IReadOnlyList<KernelUse> uses, Func<string, int, ProcessStartInfo> worker, TimeSpan caseTimeout,
        Action<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(uses);
        ArgumentNullException.ThrowIfNull(worker);
        var stopwatch = Stopwatch.StartNew();
        string casesFile = Path.Combine(Path.GetTempPath(), $"dctnet-kernels-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        File.WriteAllText(casesFile, JsonSerializer.Serialize(uses.Select(u => u.Case).ToArray(), Json));
        var outcomes = new KernelOutcome?[uses.Count];
        string? version = null, isa = null;
        try
        {
            int next = 0;
            while (next < uses.Count)
            {
                cancellation.ThrowIfCancellationRequested();
                var start = worker(casesFile, next);
                start.RedirectStandardOutput = true;
                start.RedirectStandardError = true;
                start.UseShellExecute = false;
                start.Environment["ONEDNN_VERBOSE"] = "1";
                using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the kernel check worker ({start.FileName}).");
                var lines = new BlockingCollection<string?>();
                var stderr = new ConcurrentQueue<string>();
                process.OutputDataReceived += (_, e) => lines.Add(e.Data);
                process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue(e.Data); };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();

                int current = -1;
                var implementations = new SortedSet<string>(StringComparer.Ordinal);
                while (true)
                {
                    if (!lines.TryTake(out string? line, (int)caseTimeout.TotalMilliseconds, cancellation))
                    {
                        process.Kill(entireProcessTree: true);
                        process.WaitForExit();
                        if (current < 0)
                            throw new InvalidOperationException($"the kernel check worker started no case within {caseTimeout.TotalSeconds:0} s.");
                        outcomes[current] = new KernelOutcome(uses[current], KernelVerdict.Hung, null, [.. implementations],
                            $"no result within {caseTimeout.TotalSeconds:0} s");
                        break;
                    }
                    if (line is null)
                    {
                        process.WaitForExit();
                        if (current >= 0 && outcomes[current] is null)
                            outcomes[current] = new KernelOutcome(uses[current], KernelVerdict.Crashed, null, [.. implementations], Died(process.ExitCode, stderr));
                        else if (current < 0 && next < uses.Count)
                            throw new InvalidOperationException($"the kernel check worker exited with code {process.ExitCode} before its first case: {Died(process.ExitCode, stderr)}");
                        break;
                    }
                    if (line.StartsWith(CasePrefix, StringComparison.Ordinal))
                    {
                        current = int.Parse(line.AsSpan(CasePrefix.Length), CultureInfo.InvariantCulture);
                        implementations.Clear();
                    }
                    else if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
                    {
                        var errors = JsonSerializer.Deserialize<KernelErrors>(line.AsSpan(line.IndexOf('{', StringComparison.Ordinal)), Json)!;
                        var verdict = errors.Worst <= KernelCheck.Tolerance ? KernelVerdict.Passed : KernelVerdict.Wrong;
                        string? detail = verdict == KernelVerdict.Wrong ? $"{errors.WorstPass} off by {errors.Worst:0.0e+00} of the largest value" : null;
                        outcomes[current] = new KernelOutcome(uses[current], verdict, errors, [.. implementations], detail);
                        progress?.Invoke(current + 1);
                    }
                    else if (line.StartsWith(ErrorPrefix, StringComparison.Ordinal))
                    {
                        string message = line[(line.IndexOf(' ', ErrorPrefix.Length) + 1)..];
                        outcomes[current] = new KernelOutcome(uses[current], KernelVerdict.Failed, null, [.. implementations], message);
                        progress?.Invoke(current + 1);
                    }
                    else if (line.StartsWith(OneDnnPrefix, StringComparison.Ordinal))
                    {
                        ReadOneDnnLine(line, ref version, ref isa, implementations);
                    }
                }
                next = Math.Max(next, current + 1);
                progress?.Invoke(next);
            }
        }
        finally
        {
            File.Delete(casesFile);
        }
        return new KernelSelfCheckReport(version, isa, [.. outcomes.Select(o => o!)], stopwatch.Elapsed);
    }

    /// <summary>The worker's side: runs the cases of <paramref name="casesFile"/> from <paramref name="first"/> on, one result line each.</summary>
    public static void RunWorker(string casesFile, int first, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var cases = JsonSerializer.Deserialize<KernelCase[]>(File.ReadAllText(casesFile), Json)
            ?? throw new InvalidDataException($"{casesFile}: no cases.");
        KernelProtection.QuietLibTorch();
        for (int i = first; i < cases.Length; i++)
        {
            output.WriteLine($"{CasePrefix}{i}");
            output.Flush();
            string line;
            try
            {
                line = $"{ResultPrefix}{i} {JsonSerializer.Serialize(KernelCheck.Run(cases[i]), Json)}";
            }
            catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
            {
                line = $"{ErrorPrefix}{i} {string.Join(' ', e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(1))}";
            }
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>oneDNN's header ("info,oneDNN v3.7.1 (commit ...)", "info,cpu,isa:Intel AVX") and the implementations of executed primitives.</summary>
    private static void ReadOneDnnLine(string line, ref string? version, ref string? isa, SortedSet<string> implementations)
    {
        string[] fields = line.Split(',');
        if (fields.Length > 3 && fields[2] == "info")
        {
            if (fields[3].StartsWith("oneDNN ", StringComparison.Ordinal))
                version = fields[3]["oneDNN ".Length..];
            else if (fields.Length > 4 && fields[3] == "cpu" && fields[4].StartsWith("isa:", StringComparison.Ordinal))
                isa = fields[4]["isa:".Length..];
        }
        else if (fields.Length > 7 && fields[2] == "primitive" && fields[3] == "exec" && fields[5] is not "reorder")
        {
            implementations.Add($"{fields[5]} {fields[6]} ({fields[7]})");
        }
    }

    /// <summary>"SIGFPE (exit code 136)", with the worker's last error line if it wrote one.</summary>
    private static string Died(int exitCode, ConcurrentQueue<string> stderr)
    {
        string signal = exitCode switch
        {
            132 => "SIGILL",
            134 => "SIGABRT",
            135 => "SIGBUS",
            136 => "SIGFPE",
            137 => "SIGKILL",
            139 => "SIGSEGV",
            _ => "",
        };
        string what = signal.Length > 0 ? $"{signal} (exit code {exitCode})" : $"exit code {exitCode}";
        string? last = stderr.LastOrDefault(l => !string.IsNullOrWhiteSpace(l));
        return last is null ? $"the process died: {what}" : $"the process died: {what}; last error output: {last.Trim()}";
    }
}

using System.Diagnostics;
using System.Globalization;
using DctNet.Fuzz;
using Xunit.Abstractions;

namespace DctNet.Cli.Tests;

/// <summary>
/// Runs the real <c>dctnet</c> binary over the hostile corpus of <c>tools/fuzz</c>, one process per case, and holds
/// every case to issue 11's bar: exit 1 or 2, exactly one stderr line that names the file (or the option), nothing
/// new or changed in the case's folder, within <see cref="CaseTimeout"/> and <see cref="PeakMemoryBound"/>.
/// Out of process on purpose: a stack overflow or an out-of-memory kill must fail the case, not the test host.
/// DCTNET_FUZZ_CLASS=npy,coco runs only those classes.
/// </summary>
public sealed class FuzzSuiteTests(ITestOutputHelper output) : IDisposable
{
    // "Well under a minute and under 1 GB of memory" (issue 11); a process start with libtorch takes about a second.
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);
    private const long PeakMemoryBound = 1L << 30;

    private readonly string corpusRoot = Directory.CreateTempSubdirectory("dctnet-fuzz-").FullName;

    [Fact]
    public void EveryHostileInputEndsInOneLineNamingTheFileAndLeavesNothingBehind()
    {
        var cases = new FuzzCorpus(corpusRoot).WriteAll();
        string? only = Environment.GetEnvironmentVariable("DCTNET_FUZZ_CLASS");
        if (!string.IsNullOrEmpty(only))
            cases = cases.Where(c => only.Split(',').Contains(c.Class, StringComparer.Ordinal)).ToList();
        Assert.NotEmpty(cases);

        var outcomes = new CaseOutcome[cases.Count];
        Parallel.For(0, cases.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => outcomes[i] = Run(cases[i]));

        foreach (var outcome in outcomes)
            output.WriteLine($"{outcome.Case}: exit {outcome.ExitCode}, {outcome.Elapsed.TotalSeconds:F1} s, {outcome.PeakBytes >> 20} MiB: {outcome.ErrorLine}");
        foreach (var group in outcomes.GroupBy(o => o.Case.Class))
            output.WriteLine($"{group.Key}: {group.Count()} cases, exit 1: {group.Count(o => o.ExitCode == 1)}, exit 2: {group.Count(o => o.ExitCode == 2)}, exit 0: {group.Count(o => o.ExitCode == 0)}");
        var slowest = outcomes.MaxBy(o => o.Elapsed)!;
        var largest = outcomes.MaxBy(o => o.PeakBytes)!;
        output.WriteLine($"{outcomes.Length} cases; slowest {slowest.Case} {slowest.Elapsed.TotalSeconds:F1} s; largest {largest.Case} {largest.PeakBytes / (1 << 20)} MiB peak resident");

        var failures = outcomes.Where(o => o.Failure is not null).Select(o => $"{o.Case}: {o.Failure}").ToList();
        foreach (string failure in failures)
            output.WriteLine(failure);
        Assert.True(failures.Count == 0, $"{failures.Count} of {outcomes.Length} cases failed:\n" + string.Join("\n", failures));
    }

    private static CaseOutcome Run(FuzzCase fuzzCase)
    {
        var before = Snapshot(fuzzCase.Directory);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            ArgumentList = { "exec", typeof(DctNetCli).Assembly.Location },
            WorkingDirectory = fuzzCase.Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in fuzzCase.Arguments)
            start.ArgumentList.Add(argument);

        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        bool finished;
        while (!(finished = process.WaitForExit(20)) && stopwatch.Elapsed < CaseTimeout)
            peak = Math.Max(peak, PeakResidentBytes(process.Id));
        if (!finished)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        var elapsed = stopwatch.Elapsed;
        string[] errorLines = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        _ = stdout.Result;

        string? failure = !finished ? $"still running after {CaseTimeout.TotalSeconds:F0} s"
            : peak > PeakMemoryBound ? $"peak resident memory {peak / (1 << 20)} MiB"
            : process.ExitCode == 0 && fuzzCase.MaySucceed ? null
            : process.ExitCode is not (1 or 2) ? $"exit {process.ExitCode}; stderr: {Abbreviate(stderr.Result)}"
            : errorLines.Length != 1 ? $"{errorLines.Length} stderr lines: {Abbreviate(stderr.Result)}"
            : !errorLines[0].Contains(fuzzCase.MustMention, StringComparison.Ordinal) ? $"the error does not mention '{fuzzCase.MustMention}': {Abbreviate(errorLines[0])}"
            : Changes(before, Snapshot(fuzzCase.Directory)) is { } change ? change
            : null;
        return new CaseOutcome(fuzzCase, finished ? process.ExitCode : -1, elapsed, peak, errorLines.FirstOrDefault() ?? "", failure);
    }

    /// <summary>VmHWM of /proc/PID/status: the process's peak resident set so far; 0 once it has gone.</summary>
    private static long PeakResidentBytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    /// <summary>Every entry below <paramref name="directory"/> with its size and time, links listed but never followed.</summary>
    private static SortedDictionary<string, string> Snapshot(string directory)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<string>([directory]);
        while (pending.TryPop(out var folder))
        {
            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
            {
                string name = Path.GetRelativePath(directory, entry.FullName);
                bool link = entry.LinkTarget is not null;
                // A name that is not UTF-8 cannot be looked up by .NET's spelling of it: it is listed, unmeasured.
                entries[name] = link ? $"-> {entry.LinkTarget}" : !entry.Exists ? "not UTF-8" : entry is FileInfo file ? $"{file.Length} {file.LastWriteTimeUtc.Ticks}" : "dir";
                if (entry is DirectoryInfo && !link)
                    pending.Push(entry.FullName);
            }
        }
        return entries;
    }

    private static string? Changes(SortedDictionary<string, string> before, SortedDictionary<string, string> after)
    {
        var added = after.Keys.Except(before.Keys).ToList();
        if (added.Count > 0)
            return $"left behind: {string.Join(", ", added.Take(5))}";
        var changed = before.Where(entry => !after.TryGetValue(entry.Key, out var now) || now != entry.Value).Select(entry => entry.Key).ToList();
        return changed.Count > 0 ? $"changed or removed: {string.Join(", ", changed.Take(5))}" : null;
    }

    private static string Abbreviate(string text) => text.Length <= 400 ? text.TrimEnd() : text[..400] + " ...";

    public void Dispose() => FuzzCorpus.Delete(corpusRoot);

    private sealed record CaseOutcome(FuzzCase Case, int ExitCode, TimeSpan Elapsed, long PeakBytes, string ErrorLine, string? Failure);
}

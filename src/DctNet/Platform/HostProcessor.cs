using System.Runtime.InteropServices;

namespace DctNet.Platform;

/// <summary>A cache level as the operating system reports it (glibc's <c>sysconf</c>, what <c>getconf -a</c> prints).</summary>
public sealed record CacheLevel(string Name, long SizeBytes, long Associativity);

/// <summary>
/// The processor DctNet runs on, as a user would describe it when reporting a figure or a fault: model, instruction
/// sets, caches as the OS reports them, cores, and oneDNN's own view of the caches (<see cref="OneDnnCacheView"/>).
/// </summary>
public sealed record HostProcessor(
    string Model,
    string Architecture,
    int LogicalCores,
    IReadOnlyList<string> InstructionSets,
    IReadOnlyList<CacheLevel> Caches,
    OneDnnCacheView? OneDnnCaches)
{
    /// <summary>The instruction-set flags (Linux <c>/proc/cpuinfo</c> names) that decide which kernels libtorch and DctNet run.</summary>
    private static readonly string[] RelevantFlags =
    [
        "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
        "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16",
    ];

    // glibc's sysconf names (bits/confname.h).
    private const int ScLevel1DataCacheSize = 188, ScLevel1DataCacheAssoc = 189;
    private const int ScLevel2CacheSize = 191, ScLevel2CacheAssoc = 192;
    private const int ScLevel3CacheSize = 194, ScLevel3CacheAssoc = 195;

    /// <summary>One line: "AMD EPYC, 2 logical cores, avx2 avx512f ..., L1d 48 KiB, L2 1 MiB, L3 508 MiB".</summary>
    public string Summary
        => $"{Model}, {LogicalCores} logical cores"
            + (InstructionSets.Count > 0 ? $", {string.Join(' ', InstructionSets)}" : "")
            + string.Concat(Caches.Select(c => $", {c.Name} {FormatBytes(c.SizeBytes)}"));

    /// <summary>The line every measurement prints: this processor and the kernels DctNet runs on it.</summary>
    public static string ThisHost => $"{Describe().Summary}; {KernelProtection.Settings.Summary}";

    public static HostProcessor Describe()
    {
        var (model, flags) = ReadCpuInfo();
        return new HostProcessor(
            model ?? RuntimeInformation.ProcessArchitecture.ToString(),
            RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
            Environment.ProcessorCount,
            [.. RelevantFlags.Where(flags.Contains)],
            ReadCaches(),
            OneDnnCacheView.OfThisProcessor());
    }

    /// <summary>"48 KiB", "1 MiB", "508 MiB", "1 B".</summary>
    public static string FormatBytes(long bytes)
        => bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB"
            : bytes >= 1 << 10 && bytes % (1 << 10) == 0 ? $"{bytes >> 10} KiB"
            : $"{bytes} B";

    private static (string? Model, HashSet<string> Flags) ReadCpuInfo()
    {
        string? model = null;
        var flags = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    if (model is not null && flags.Count > 0)
                        break; // the first processor's block is enough
                    continue;
                }
                string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                if (key == "model name")
                    model ??= value;
                else if (key == "flags" && flags.Count == 0)
                    flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or /proc is hidden: the model and flags stay unknown.
        }
        return (model, flags);
    }

    private static List<CacheLevel> ReadCaches()
    {
        var caches = new List<CacheLevel>();
        if (!OperatingSystem.IsLinux())
            return caches;
        try
        {
            foreach (var (name, size, assoc) in new[]
            {
                ("L1d", ScLevel1DataCacheSize, ScLevel1DataCacheAssoc),
                ("L2", ScLevel2CacheSize, ScLevel2CacheAssoc),
                ("L3", ScLevel3CacheSize, ScLevel3CacheAssoc),
            })
            {
                long bytes = sysconf(size);
                if (bytes > 0)
                    caches.Add(new CacheLevel(name, bytes, Math.Max(sysconf(assoc), 0)));
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: the OS's sizes stay unknown.
        }
        return caches;
    }

    [DllImport("libc")]
    private static extern long sysconf(int name);
}

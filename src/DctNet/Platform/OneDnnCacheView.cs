using System.Runtime.Intrinsics.X86;

namespace DctNet.Platform;

/// <summary>The four registers one CPUID query returns.</summary>
public readonly record struct CpuidRegisters(uint Eax, uint Ebx, uint Ecx, uint Edx);

/// <summary>
/// The cache sizes per core that oneDNN's convolution heuristics work with: what
/// <c>dnnl::impl::cpu::platform::get_per_core_cache_size</c> returns in the oneDNN v3.7.1 that libtorch 2.10 (TorchSharp
/// 0.107) carries, recomputed here from CPUID exactly as its bundled Xbyak (<c>Xbyak::util::Cpu</c>) does.
/// <para>
/// Why it matters: on AMD processors Xbyak reads CPUID leaf 0x8000001D and multiplies its fields plus one, so a
/// hypervisor that leaves the leaf empty (all zeros) gives 1-byte caches - not oneDNN's fallback guesses, which it uses
/// only when no level is reported at all. oneDNN's brgemm blocking then works with L1 = 7/8 byte and L2 = 3/4 byte,
/// both 0 in integer arithmetic: 1x1 convolutions divide by zero (SIGFPE in <c>brg_blocking_t::est_eff_1x1</c>) or
/// compute wrong values, and so do some direct convolutions (issue 10). The OS reports its sizes from other leaves,
/// so <c>getconf</c> and <c>lscpu</c> look normal on such a host.
/// </para>
/// </summary>
public sealed record OneDnnCacheView(long L1DataPerCore, long L2PerCore, long L3PerCore, string Source)
{
    /// <summary>
    /// Below these sizes the view is not a real processor's (no x86-64 processor has had an L1 data cache under
    /// 8 KiB or a level-2 cache under 128 KiB); the failures seen came from 1-byte sizes.
    /// </summary>
    public const long MinimumL1Data = 4 * 1024;
    public const long MinimumL2 = 64 * 1024;

    /// <summary>oneDNN's guesses when CPUID reports no cache level (platform.cpp).</summary>
    private static readonly OneDnnCacheView Guess = new(32 * 1024, 512 * 1024, 1024 * 1024, "oneDNN's defaults (CPUID reports no cache)");

    /// <summary>Whether oneDNN's blocking heuristics would work with caches no processor has (see the type's summary).</summary>
    public bool IsDegenerate => L1DataPerCore < MinimumL1Data || L2PerCore < MinimumL2;

    /// <summary>This processor's view, or null off x86 (oneDNN's x64 code does not run there).</summary>
    public static OneDnnCacheView? OfThisProcessor()
        => X86Base.IsSupported ? Compute((leaf, subleaf) => Query(leaf, subleaf)) : null;

    /// <summary>The view from CPUID answers: Xbyak's <c>setNumCores</c> and <c>setCacheHierarchy</c>, then oneDNN's per-core division.</summary>
    /// <param name="cpuid">Answers a CPUID query (leaf, subleaf); tests pass recorded answers of other processors.</param>
    public static OneDnnCacheView Compute(Func<uint, uint, CpuidRegisters> cpuid)
    {
        var vendorLeaf = cpuid(0, 0);
        bool amd = vendorLeaf.Ecx == 0x444D4163;   // "cAMD", the end of "AuthenticAMD"
        bool intel = vendorLeaf.Ecx == 0x6C65746E; // "ntel", the end of "GenuineIntel"
        if (!amd && !intel)
            return Guess;

        // setNumCores: SMT width and logical cores from leaf 0xB when the processor has it.
        uint smtWidth = 0, logicalCores = 0;
        bool x2Apic = vendorLeaf.Eax >= 0xB;
        if (x2Apic)
        {
            for (uint level = 0; level < 2; level++)
            {
                var topology = cpuid(0xB, level);
                uint type = Bits(topology.Ecx, 8, 15);
                if (type == 1)
                    smtWidth = Bits(topology.Ebx, 0, 15);
                else if (type == 2)
                    logicalCores = Bits(topology.Ebx, 0, 15);
            }
            smtWidth = Math.Max(1u, smtWidth);
            logicalCores = Math.Max(smtWidth, logicalCores);
        }

        var sizes = new List<(uint Size, uint SharedBy)>();
        if (amd)
        {
            // Leaf 0x8000001D subleafs 0 (L1d), 2 (L2), 3 (L3); an empty subleaf still counts, as 1 byte.
            foreach (uint subleaf in new uint[] { 0, 2, 3 })
            {
                var cache = cpuid(0x8000001D, subleaf);
                uint sharing = Bits(cache.Eax, 14, 25) + 1;
                if (logicalCores != 0)
                    sharing = Math.Min(sharing, logicalCores);
                // Xbyak would divide by an SMT width of 0 on a processor without leaf 0xB.
                sizes.Add((LeafSize(cache), Math.Max(sharing / Math.Max(smtWidth, 1u), 1u)));
            }
        }
        else
        {
            // Leaf 4, data and unified caches in order, until a subleaf reports none.
            uint intelSmt = x2Apic ? smtWidth : 0, intelLogical = x2Apic ? logicalCores : 0;
            for (uint subleaf = 0; sizes.Count < 10; subleaf++)
            {
                var cache = cpuid(4, subleaf);
                uint type = Bits(cache.Eax, 0, 4);
                if (type == 0)
                    break;
                if (type is not (1 or 3))
                    continue;
                uint sharing = Bits(cache.Eax, 14, 25) + 1;
                if (intelLogical != 0)
                    sharing = Math.Min(sharing, intelLogical);
                if (type == 1 && intelSmt == 0)
                    intelSmt = sharing;
                sizes.Add((LeafSize(cache), Math.Max(sharing / Math.Max(intelSmt, 1u), 1u)));
            }
        }
        if (sizes.Count == 0)
            return Guess;

        long PerCore(int level) => level < sizes.Count ? sizes[level].Size / sizes[level].SharedBy : 0;
        return new OneDnnCacheView(PerCore(0), PerCore(1), PerCore(2), amd ? "CPUID leaf 0x8000001D" : "CPUID leaf 4");
    }

    /// <summary>Ways x partitions x line size x sets, each field plus one, in 32-bit arithmetic as Xbyak computes it.</summary>
    private static uint LeafSize(CpuidRegisters cache)
        => unchecked((Bits(cache.Ebx, 22, 31) + 1) * (Bits(cache.Ebx, 12, 21) + 1) * (Bits(cache.Ebx, 0, 11) + 1) * (cache.Ecx + 1));

    /// <summary>Xbyak's <c>extractBit(val, base, end)</c>: bits base to end - 1 (one fewer than the name suggests, as there).</summary>
    private static uint Bits(uint value, int first, int end) => (value >> first) & ((1u << (end - first)) - 1);

    private static CpuidRegisters Query(uint leaf, uint subleaf)
    {
        var (eax, ebx, ecx, edx) = X86Base.CpuId(unchecked((int)leaf), unchecked((int)subleaf));
        return new CpuidRegisters(unchecked((uint)eax), unchecked((uint)ebx), unchecked((uint)ecx), unchecked((uint)edx));
    }
}

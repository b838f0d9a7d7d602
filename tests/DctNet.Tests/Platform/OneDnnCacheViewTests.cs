using DctNet.Platform;

namespace DctNet.Tests.Platform;

/// <summary>oneDNN's view of the caches from recorded CPUID answers, as its Xbyak computes it.</summary>
public class OneDnnCacheViewTests
{
    private const uint Auth = 0x68747541, Enti = 0x69746E65, CAmd = 0x444D4163; // "AuthenticAMD"
    private const uint Genu = 0x756E6547, IneI = 0x49656E69, Ntel = 0x6C65746E; // "GenuineIntel"

    /// <summary>A cache subleaf: type (1 data, 2 instruction, 3 unified), level, ways, line size, sets, logical processors sharing it.</summary>
    private static CpuidRegisters Cache(uint type, uint level, uint ways, uint line, uint sets, uint sharing)
        => new(type | level << 5 | (sharing - 1) << 14, (ways - 1) << 22 | (line - 1), sets - 1, 0);

    /// <summary>Leaf 0xB: SMT level (threads per core), then core level (logical processors per package).</summary>
    private static CpuidRegisters Topology(uint level) => level switch
    {
        0 => new CpuidRegisters(1, 2, 0x100, 0),
        1 => new CpuidRegisters(4, 2, 0x201, 0),
        _ => default,
    };

    /// <summary>The host of issue 10 (AMD EPYC VM, 2 vCPUs): leaves 0xB and 0x8000001D all zeros.</summary>
    private static CpuidRegisters EpycVmWithEmptyLeaves(uint leaf, uint subleaf) => leaf == 0 ? new CpuidRegisters(0xD, Auth, CAmd, Enti) : default;

    private static CpuidRegisters HealthyZen(uint leaf, uint subleaf) => (leaf, subleaf) switch
    {
        (0, _) => new CpuidRegisters(0x10, Auth, CAmd, Enti),
        (0xB, _) => Topology(subleaf),
        (0x8000001D, 0) => Cache(1, 1, 8, 64, 64, 2),        // L1d 32 KiB
        (0x8000001D, 1) => Cache(2, 1, 8, 64, 64, 2),        // L1i, skipped
        (0x8000001D, 2) => Cache(3, 2, 8, 64, 2048, 2),      // L2 1 MiB
        (0x8000001D, 3) => Cache(3, 3, 16, 64, 32768, 16),   // L3 32 MiB, 16 logical processors (the VM has 2)
        _ => default,
    };

    private static CpuidRegisters Intel(uint leaf, uint subleaf) => (leaf, subleaf) switch
    {
        (0, _) => new CpuidRegisters(0x1B, Genu, Ntel, IneI),
        (0xB, _) => Topology(subleaf),
        (4, 0) => Cache(1, 1, 12, 64, 64, 2),                // L1d 48 KiB
        (4, 1) => Cache(2, 1, 8, 64, 64, 2),                 // L1i
        (4, 2) => Cache(3, 2, 16, 64, 2048, 2),              // L2 2 MiB
        (4, 3) => Cache(3, 3, 15, 64, 65536, 64),            // L3 60 MiB
        _ => default,
    };

    [Fact]
    public void An_empty_amd_cache_leaf_gives_one_byte_caches_which_is_degenerate()
    {
        var view = OneDnnCacheView.Compute(EpycVmWithEmptyLeaves);
        Assert.Equal((1L, 1L, 1L), (view.L1DataPerCore, view.L2PerCore, view.L3PerCore));
        Assert.True(view.IsDegenerate);
    }

    [Fact]
    public void A_healthy_amd_processor_gives_its_caches_per_core()
    {
        var view = OneDnnCacheView.Compute(HealthyZen);
        Assert.Equal((32L << 10, 1L << 20, 32L << 20), (view.L1DataPerCore, view.L2PerCore, view.L3PerCore));
        Assert.False(view.IsDegenerate);
    }

    [Fact]
    public void Intel_caches_come_from_leaf_4_per_core()
    {
        var view = OneDnnCacheView.Compute(Intel);
        Assert.Equal((48L << 10, 2L << 20), (view.L1DataPerCore, view.L2PerCore));
        Assert.Equal(60L << 20, view.L3PerCore); // shared by 64 logical processors, of which this VM has 2
        Assert.Equal("CPUID leaf 4", view.Source);
        Assert.False(view.IsDegenerate);
    }

    [Fact]
    public void An_intel_processor_that_reports_no_cache_gets_onednns_guesses()
    {
        var view = OneDnnCacheView.Compute((leaf, subleaf) => leaf == 0 ? Intel(leaf, subleaf) : default);
        Assert.Equal((32L << 10, 512L << 10), (view.L1DataPerCore, view.L2PerCore));
        Assert.False(view.IsDegenerate);
    }

    [Fact]
    public void This_processor_has_a_view()
    {
        Assert.NotNull(OneDnnCacheView.OfThisProcessor());
    }
}

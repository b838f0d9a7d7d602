using DctNet.Platform;

namespace DctNet.Tests.Platform;

/// <summary>The decision of <see cref="KernelProtection"/> for any host and environment (it is a pure function of both).</summary>
public class KernelProtectionTests
{
    private static readonly OneDnnCacheView Degenerate = new(1, 1, 1, "CPUID leaf 0x8000001D");
    private static readonly OneDnnCacheView Healthy = new(48 << 10, 1 << 20, 32 << 20, "CPUID leaf 0x8000001D");

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables)
        => name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void A_degenerate_cache_view_caps_onednn_at_avx()
    {
        var settings = KernelProtection.Decide(Environment(), Degenerate);
        Assert.True(settings.Protected);
        Assert.Equal("AVX", settings.OneDnnMaxIsa);
        Assert.Contains("L1d 1 B, L2 1 B", settings.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_healthy_host_keeps_every_instruction_set()
    {
        var settings = KernelProtection.Decide(Environment(), Healthy);
        Assert.Equal(KernelSettingSource.Default, settings.Source);
        Assert.Null(settings.OneDnnMaxIsa);
    }

    [Theory]
    [InlineData("ONEDNN_MAX_CPU_ISA")]
    [InlineData("DNNL_MAX_CPU_ISA")]
    public void The_users_onednn_setting_wins_on_any_host(string variable)
    {
        var settings = KernelProtection.Decide(Environment((variable, "AVX2"), (KernelProtection.ModeVariable, "on")), Degenerate);
        Assert.Equal(KernelSettingSource.Environment, settings.Source);
        Assert.Equal("AVX2", settings.OneDnnMaxIsa);
        Assert.Contains(variable, settings.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_protection_can_be_forced_on_a_healthy_host_and_off_on_an_affected_one()
    {
        Assert.True(KernelProtection.Decide(Environment((KernelProtection.ModeVariable, "on")), Healthy).Protected);
        var off = KernelProtection.Decide(Environment((KernelProtection.ModeVariable, "off")), Degenerate);
        Assert.False(off.Protected);
        Assert.Null(off.OneDnnMaxIsa);
    }

    [Fact]
    public void An_unknown_mode_is_auto_and_says_so()
    {
        var settings = KernelProtection.Decide(Environment((KernelProtection.ModeVariable, "sometimes")), Degenerate);
        Assert.True(settings.Protected);
        Assert.Contains("'sometimes' is not auto, on or off", settings.Reason, StringComparison.Ordinal);
    }

}

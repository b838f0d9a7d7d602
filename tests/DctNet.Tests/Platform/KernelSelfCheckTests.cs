using System.Diagnostics;
using DctNet.Platform;

namespace DctNet.Tests.Platform;

/// <summary>
/// The self-check's worker protocol against scripted workers (so that a crash, a hang and a wrong result can be shown on
/// any host), and one real case in this process.
/// </summary>
public class KernelSelfCheckTests
{
    private static readonly KernelCase Conv = new(KernelOperation.Convolution, [2, 24, 28, 28], 64, [3, 3], [1, 1], [1, 1], [1, 1], [0, 0], 1,
        Bias: false, ChannelsLast: true, Backward: true);

    private static IReadOnlyList<KernelUse> Uses(int count)
        => [.. Enumerable.Range(0, count).Select(i => new KernelUse(Conv with { Outputs = 64 + i }, [$"model {i}"]))];

    private const string Passing = """{"Forward":1e-7,"InputGradient":2e-7,"WeightGradient":3e-7,"BiasGradient":null}""";

    /// <summary>A worker written in bash: <paramref name="script"/> sees the first case as $1.</summary>
    private static Func<string, int, ProcessStartInfo> Scripted(string script)
        => (_, first) => new ProcessStartInfo("bash") { ArgumentList = { "-c", script, "worker", first.ToString(System.Globalization.CultureInfo.InvariantCulture) } };

    [Fact]
    public void A_worker_killed_by_a_signal_is_a_crashed_case_and_the_next_worker_goes_on()
    {
        // Case 0 dies as oneDNN's division by zero does (SIGFPE); a second worker runs case 1.
        var report = KernelSelfCheck.Run(Uses(2), Scripted($$"""
            echo "@case $1"
            if [ "$1" = 0 ]; then echo 'onednn_verbose,v1,primitive,exec,cpu,convolution,brgconv_1x1:avx512_core,forward_training,src,x' ; kill -FPE $$; fi
            echo '@result 1 {{Passing}}'
            """), TimeSpan.FromSeconds(30));

        Assert.Equal([KernelVerdict.Crashed, KernelVerdict.Passed], report.Outcomes.Select(o => o.Verdict));
        Assert.Contains("SIGFPE (exit code 136)", report.Outcomes[0].Detail, StringComparison.Ordinal);
        Assert.Equal(["convolution brgconv_1x1:avx512_core (forward_training)"], report.Outcomes[0].Implementations);
        Assert.False(report.Passed);
    }

    [Fact]
    public void A_result_off_by_more_than_the_bar_is_a_wrong_case_naming_the_pass()
    {
        var report = KernelSelfCheck.Run(Uses(1), Scripted("""
            echo 'onednn_verbose,v1,info,oneDNN v3.7.1 (commit abc)'
            echo 'onednn_verbose,v1,info,cpu,isa:Intel AVX-512 with Intel DL Boost and bfloat16 support'
            echo '@case 0'
            echo '@result 0 {"Forward":0.46,"InputGradient":1e-7,"WeightGradient":1e-7,"BiasGradient":null}'
            """), TimeSpan.FromSeconds(30));

        var outcome = Assert.Single(report.Outcomes);
        Assert.Equal(KernelVerdict.Wrong, outcome.Verdict);
        Assert.Equal("forward off by 4.6e-01 of the largest value", outcome.Detail);
        Assert.Equal("v3.7.1 (commit abc)", report.OneDnnVersion);
        Assert.Equal("Intel AVX-512 with Intel DL Boost and bfloat16 support", report.OneDnnIsa);
    }

    [Fact]
    public void A_case_without_a_result_in_time_is_hung_and_its_worker_is_killed()
    {
        var report = KernelSelfCheck.Run(Uses(2), Scripted($$"""
            echo "@case $1"
            if [ "$1" = 0 ]; then sleep 600; fi
            echo '@result 1 {{Passing}}'
            """), TimeSpan.FromSeconds(2));

        Assert.Equal([KernelVerdict.Hung, KernelVerdict.Passed], report.Outcomes.Select(o => o.Verdict));
        Assert.True(report.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void A_refused_case_is_failed_with_libtorchs_message()
    {
        var report = KernelSelfCheck.Run(Uses(1), Scripted("""
            echo '@case 0'
            echo '@error 0 Given groups=1, weight of size [64, 24, 3, 3], expected input to have 24 channels'
            """), TimeSpan.FromSeconds(30));

        var outcome = Assert.Single(report.Outcomes);
        Assert.Equal(KernelVerdict.Failed, outcome.Verdict);
        Assert.StartsWith("Given groups=1", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_real_case_in_this_process_matches_float64_in_every_pass()
    {
        var errors = KernelCheck.Run(Conv);
        Assert.True(errors.Worst < KernelCheck.Tolerance, $"{errors}");
        Assert.NotNull(errors.InputGradient);
        Assert.NotNull(errors.WeightGradient);
        Assert.Null(errors.BiasGradient);
        Assert.True(errors.Forward > 0, "float32 and float64 cannot agree to the last bit over 216 products");
    }

    [Fact]
    public void A_bias_gets_its_gradient_checked_and_descriptions_name_the_case()
    {
        var withBias = Conv with { Bias = true, Groups = 24, Outputs = 24, InputShape = [2, 24, 14, 14] };
        Assert.NotNull(KernelCheck.Run(withBias).BiasGradient);
        Assert.Equal("conv 3x3/1 pad 1 depthwise 24->24, 2x24x14x14, channels-last, bias, forward+backward", withBias.Description);
    }
}

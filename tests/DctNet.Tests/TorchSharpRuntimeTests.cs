using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Tests;

/// <summary>
/// Checks that TorchSharp's native runtime loads and computes correct gradients: a small conv net in
/// float64 whose autograd gradients must match central finite differences.
/// </summary>
public sealed class TorchSharpRuntimeTests
{
    private const int Seed = 20240611;
    // Central differences in float64: truncation error O(Step^2) ~ 1e-12, rounding ~ 1e-16 / Step ~ 1e-10.
    // Observed differences stay below 1e-9; any real gradient bug is orders of magnitude larger.
    private const double Step = 1e-6;
    private const double AbsoluteTolerance = 1e-8;
    private const double RelativeTolerance = 1e-6;

    [Fact]
    public void NativeLibraryLoads()
    {
        EnsureTorchLoaded();

        using var ones = torch.ones(3, dtype: ScalarType.Float64);
        Assert.Equal(3.0, ones.sum().item<double>());
    }

    [Fact]
    public void ConvNetGradientsMatchCentralFiniteDifferences()
    {
        EnsureTorchLoaded();
        using var scope = torch.NewDisposeScope();

        torch.manual_seed(Seed);
        var model = BuildConvNet();
        var input = torch.randn(new long[] { 2, 2, 6, 6 }, dtype: ScalarType.Float64);
        var target = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64);

        Tensor Loss() => nn.functional.mse_loss(model.call(input), target);

        model.zero_grad();
        Loss().backward();

        var namedParameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // Conv weights, the BatchNorm scale, and the Linear weights: every kind of layer on the path.
        foreach (var (name, indices) in new[]
                 {
                     ("conv.weight", new long[] { 0, 7, 20, 35 }),
                     ("norm.weight", new long[] { 0, 3 }),
                     ("linear.weight", new long[] { 0, 5, 11 }),
                 })
        {
            var parameter = namedParameters[name];
            var analytic = parameter.grad!.detach().flatten();
            var values = parameter.detach().view(-1); // shares storage with the parameter

            foreach (long index in indices)
            {
                double original = values[index].item<double>();
                double lossUp, lossDown;
                using (torch.no_grad())
                {
                    values[index] = torch.tensor(original + Step, ScalarType.Float64);
                    lossUp = Loss().item<double>();
                    values[index] = torch.tensor(original - Step, ScalarType.Float64);
                    lossDown = Loss().item<double>();
                    values[index] = torch.tensor(original, ScalarType.Float64);
                }

                double numeric = (lossUp - lossDown) / (2 * Step);
                double expected = analytic[index].item<double>();
                double tolerance = AbsoluteTolerance + RelativeTolerance * Math.Abs(numeric);
                Assert.True(Math.Abs(expected - numeric) <= tolerance,
                    $"{name}[{index}]: autograd {expected:R} vs finite difference {numeric:R} (tolerance {tolerance:G3})");
            }

            // Guards against a vacuous pass (e.g. a dead ReLU zeroing every gradient).
            Assert.True(analytic.abs().max().item<double>() > 1e-4, $"{name}: gradient is (almost) zero");
        }
    }

    /// <summary>Conv2d -> BatchNorm2d -> ReLU -> AvgPool2d -> Linear, all in float64.</summary>
    private static Sequential BuildConvNet()
    {
        var model = nn.Sequential(
            ("conv", nn.Conv2d(2, 4, 3, padding: 1)),
            ("norm", nn.BatchNorm2d(4)),
            ("relu", nn.ReLU()),
            ("pool", nn.AvgPool2d(2)),
            ("flatten", nn.Flatten()),
            ("linear", nn.Linear(4 * 3 * 3, 3)));
        model.to(ScalarType.Float64);
        // BatchNorm uses batch statistics in training mode, so the loss depends on them smoothly.
        model.train();
        return model;
    }

    private static void EnsureTorchLoaded()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e)
        {
            Assert.Fail(
                "TorchSharp's native library (libLibTorchSharp.so) failed to load. On Linux with a libstdc++ " +
                "older than GCC 13 (e.g. Debian 12), the build must mark its GLIBCXX_3.4.32 version need weak " +
                "(build/PatchGlibcxxVersionNeed.targets, imported by Directory.Build.targets); check the build log " +
                "for its message.\nTorchSharp: " + string.Join(" ---> ", ExceptionChain(e)) +
                "\nDynamic loader: " + DirectLoadError());
        }
    }

    private static IEnumerable<string> ExceptionChain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            yield return e.Message;
    }

    // TorchSharp hides the loader's reason behind a generic "missing package" message,
    // so load the library directly to get it (e.g. "version `GLIBCXX_3.4.32' not found").
    private static string DirectLoadError()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(path))
            return "(not attempted: " + path + " does not exist)";
        try
        {
            NativeLibrary.Load(path);
            return "(loads fine when loaded directly from " + path + ")";
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
    }
}

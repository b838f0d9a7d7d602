using BenchmarkDotNet.Attributes;
using DctNet.Detection.Ops;
using DctNet.Platform;
using static TorchSharp.torch;

namespace DctNet.Benchmarks;

/// <summary>
/// RoIAlign at the box head's size - 1024 RoIs, 7 x 7 bins, 2 x 2 samples, 256 channels, two images - on a small FPN
/// level and on P2 of an 800 x 1344 image: the C# kernel (<see cref="RoIAlignKernel"/>, what float32 CPU features run)
/// against the tensor-op path it replaced (<see cref="RoIAlign.Gather"/>), forward alone and forward with backward.
/// Synthetic features and boxes (seeded); 2 libtorch threads, as the detection benchmarks.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
[MinColumn, MedianColumn]
public class RoIAlignBenchmarks
{
    private const int Rois = 1024;
    private Tensor features = null!;
    private Tensor rois = null!;
    private Tensor weights = null!;
    private RoIAlignPlan plan = null!;

    [Params("36x48", "200x336")]
    public string Map { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        NativeHeap.RetainFreedMemory();
        set_num_threads(2);
        int[] size = [.. Map.Split('x').Select(int.Parse)];
        using var generator = new Generator(1);
        features = randn([2, 256, size[0], size[1]], generator: generator).requires_grad_();
        var corners = rand([Rois, 2], generator: generator) * tensor(new[] { size[1] * 4 * 0.8f, size[0] * 4 * 0.8f });
        var sides = 8 + rand([Rois, 2], generator: generator) * 60;
        rois = cat([(arange(Rois) % 2).to(ScalarType.Float32).unsqueeze(1), corners, corners + sides], 1);
        weights = randn([Rois, 256, 7, 7], generator: generator);
        plan = RoIAlignPlan.For(features, rois, 7, 7, 0.25f, 2, RoIAlignPlan.Boxes.Torchvision);
    }

    [Benchmark(Baseline = true)]
    public void GatherForward()
    {
        using var noGrad = no_grad();
        RoIAlign.Gather(features, plan).Dispose();
    }

    [Benchmark]
    public void KernelForward()
    {
        using var noGrad = no_grad();
        RoIAlign.Apply(features, rois, 7, 7, 0.25f, 2, aligned: false).Dispose();
    }

    [Benchmark]
    public void GatherForwardBackward() => Backward(RoIAlign.Gather(features, plan));

    [Benchmark]
    public void KernelForwardBackward() => Backward(RoIAlign.Apply(features, rois, 7, 7, 0.25f, 2, aligned: false));

    private void Backward(Tensor pooled)
    {
        using var scope = NewDisposeScope();
        (pooled * weights).sum().backward();
        features.grad!.zero_();
    }
}

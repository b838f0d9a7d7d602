using System.Text.Json;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Modeling;

/// <summary>tests/fixtures/detection, written by tools/detection/make_parity_fixtures.py from torchvision 0.14.</summary>
internal static class DetectionFixtures
{
    public static string Directory { get; } = Path.Combine(Path.GetDirectoryName(Fixtures.Directory)!, "detection");

    public static JsonElement OpsJson { get; } = Fixtures.JsonAt(Path.Combine(Directory, "ops.json"));

    public static JsonElement ModelsJson { get; } = Fixtures.JsonAt(Path.Combine(Directory, "models.json"));

    /// <summary>A {"shape", "values"} object as a tensor: float32, or int64 when <paramref name="integer"/>.</summary>
    public static Tensor Tensor(JsonElement element, bool integer = false)
    {
        long[] shape = [.. element.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64())];
        var values = element.GetProperty("values");
        return integer
            ? tensor(values.EnumerateArray().Select(v => v.GetInt64()).ToArray()).reshape(shape)
            : tensor(values.EnumerateArray().Select(v => v.GetSingle()).ToArray()).reshape(shape);
    }

    public static float[] Floats(JsonElement element) => [.. element.EnumerateArray().Select(v => v.GetSingle())];

    public static long[] Longs(JsonElement element) => [.. element.EnumerateArray().Select(v => v.GetInt64())];

    /// <summary>The largest absolute difference, for messages and tolerances.</summary>
    public static float MaxDifference(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        return expected.numel() == 0 ? 0f : (actual - expected).abs().max().item<float>();
    }
}

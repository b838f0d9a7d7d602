using System.Text.Json;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Frequency.Tests;

/// <summary>The RGB baselines' recipe against torchvision + Pillow (tests/fixtures/golden/rgb, tools/golden/make_rgb_goldens.py).</summary>
public class RgbTransformTests
{
    private static readonly JsonElement[] Cases = LoadCases();

    public static TheoryData<int> ResizeCases => IndexesOf("resize");
    public static TheoryData<int> RecipeCases => IndexesOf("recipe");
    public static TheoryData<int> WindowCases => IndexesOf("window");

    [Theory]
    [MemberData(nameof(ResizeCases))]
    public void Resize_equals_pillow_bilinear(int index)
    {
        var c = Cases[index];
        var input = Fixtures.Load(c.GetProperty("input").GetString()!);
        var expected = Fixtures.Load(c.GetProperty("output").GetString()!);
        var transform = new RgbTransform(c.GetProperty("size").GetInt32());
        var (width, height) = transform.ResizedSize(input.Shape[1], input.Shape[0]);
        Assert.Equal((c.GetProperty("width").GetInt32(), c.GetProperty("height").GetInt32()), (width, height));
        var actual = PillowResize.Resize(input.AsUInt8(), input.Shape[1], input.Shape[0], width, height);
        Assert.Equal(expected.AsUInt8(), actual);
    }

    [Theory]
    [MemberData(nameof(RecipeCases))]
    public void Recipe_equals_torchvision_to_float_rounding(int index)
    {
        var c = Cases[index];
        var input = Fixtures.Load(c.GetProperty("input").GetString()!);
        var expected = Fixtures.Load(c.GetProperty("output").GetString()!).AsFloat32();
        var image = new RgbImage(input.Shape[1], input.Shape[0], input.AsUInt8());
        var actual = new RgbTransform(c.GetProperty("resize").GetInt32(), c.GetProperty("crop").GetInt32()).Transform(image);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f, $"element {i}: {actual[i]} vs torchvision {expected[i]}");
    }

    [Theory]
    [MemberData(nameof(WindowCases))]
    public void Training_window_equals_torchvision_resized_crop_and_flip(int index)
    {
        var c = Cases[index];
        var input = Fixtures.Load(c.GetProperty("input").GetString()!);
        var expected = Fixtures.Load(c.GetProperty("output").GetString()!).AsFloat32();
        var image = new RgbImage(input.Shape[1], input.Shape[0], input.AsUInt8());
        var window = new PixelWindow(c.GetProperty("left").GetInt32(), c.GetProperty("top").GetInt32(),
            c.GetProperty("width").GetInt32(), c.GetProperty("height").GetInt32());
        int crop = c.GetProperty("crop").GetInt32();
        var actual = new float[3 * crop * crop];
        new RgbTransform(crop + 8, crop).TransformWindow(image, window, c.GetProperty("flip").GetBoolean(), actual);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f, $"element {i}: {actual[i]} vs torchvision {expected[i]}");
    }

    [Fact]
    public void Training_transform_is_a_function_of_the_random_stream()
    {
        var image = new RgbImage(50, 40, [.. Enumerable.Range(0, 50 * 40 * 3).Select(i => (byte)(i * 7 % 251))]);
        var transform = new RgbTransform(36, 32);
        float[] Sample(int seed)
        {
            var output = new float[3 * 32 * 32];
            transform.TransformForTraining(image, new Random(seed), output);
            return output;
        }
        Assert.Equal(Sample(3), Sample(3));
        Assert.NotEqual(Sample(3), Sample(4));
        Assert.NotEqual(transform.Transform(image), Sample(3));
    }

    private static JsonElement[] LoadCases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("golden/rgb/manifest.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
    }

    private static TheoryData<int> IndexesOf(string kind)
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases.Length; i++)
        {
            if (Cases[i].GetProperty("kind").GetString() == kind)
                data.Add(i);
        }
        return data;
    }
}

using System.Text.Json;
using DctNet.Detection.Coco;
using DctNet.Detection.Modeling;
using DctNet.Detection.Structures;
using DctNet.Frequency.Imaging;
using DctNet.Detection.Tests.Modeling;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Training;

/// <summary>
/// One training step of Mask R-CNN and Faster R-CNN against torchvision 0.14 (training.json, from
/// tools/detection/make_training_fixtures.py): the same deterministic weights, real images and targets, training mode,
/// both samplers drawing in index order. Every loss term and the gradients of parameters across the model must agree:
/// anchor and proposal matching, sampling, box encoding, RoIAlign's backward, mask targets and the five losses.
/// </summary>
public sealed class TrainingParityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double LossTolerance = 1e-4;
    private const double GradientTolerance = 1e-3;

    private static readonly JsonElement TrainingJson = Fixtures.JsonAt(Path.Combine(DetectionFixtures.Directory, "training.json"));

    public static TheoryData<int> Cases() => [.. Enumerable.Range(0, TrainingJson.GetProperty("cases").GetArrayLength())];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Losses_and_gradients_equal_torchvision(int index)
    {
        var expected = TrainingJson.GetProperty("cases")[index];
        string name = expected.GetProperty("model").GetString()!;
        using var scope = NewDisposeScope();
        using var model = DetectionModels.Create(name, scale: new InputScale(TrainingJson.GetProperty("min_size").GetInt32(), TrainingJson.GetProperty("max_size").GetInt32()));
        DetectionModels.LoadWeights(model, DeterministicDetectionWeights.For(model), "deterministic weights");
        model.SetTrainableBackboneLayers(TrainingJson.GetProperty("trainable_layers").GetInt32());
        model.train();
        Assert.Equal(expected.GetProperty("frozen").EnumerateArray().Select(k => k.GetString()),
            model.named_parameters().Where(p => !p.parameter.requires_grad).Select(p => p.name));

        var images = new List<Tensor>();
        var targets = new List<DetectionTarget>();
        foreach (var image in expected.GetProperty("images").EnumerateArray())
        {
            var picture = new ImageDecoder().DecodeFile(Path.Combine(DetectionFixtures.Directory, "images", image.GetProperty("file").GetString()!));
            images.Add(tensor(picture.Pixels, ScalarType.Byte).view(picture.Height, picture.Width, 3).permute(2, 0, 1).to(ScalarType.Float32).div(255));
            targets.Add(Target(image, picture.Height, picture.Width, masks: name.StartsWith("maskrcnn", StringComparison.Ordinal)));
        }

        var losses = model.Losses([.. images.Select(image => model.Input.Prepare(image))], targets, BalancedPositiveNegativeSampler.InOrder);
        var expectedLosses = expected.GetProperty("losses");
        var terms = losses.Terms.ToList();
        Assert.Equal(expectedLosses.EnumerateObject().Select(p => p.Name).Order(), terms.Select(t => t.Name).Order());
        foreach (var (term, value) in terms)
        {
            double actual = value.item<float>(), reference = expectedLosses.GetProperty(term).GetDouble();
            output.WriteLine($"{term}: {actual:G9} vs {reference:G9}");
            Assert.True(Math.Abs(actual - reference) <= LossTolerance * Math.Max(1, Math.Abs(reference)), $"{term}: {actual} vs torchvision's {reference}");
        }

        losses.Total().backward();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var gradient in expected.GetProperty("gradients").EnumerateArray())
        {
            string key = gradient.GetProperty("key").GetString()!;
            var grad = parameters[key].grad ?? throw new Xunit.Sdk.XunitException($"{key} has no gradient");
            double norm = grad.to(ScalarType.Float64).norm().item<double>(), sum = grad.to(ScalarType.Float64).sum().item<double>();
            double expectedNorm = gradient.GetProperty("norm").GetDouble(), expectedSum = gradient.GetProperty("sum").GetDouble();
            output.WriteLine($"{key}: norm {norm:G7} vs {expectedNorm:G7}, sum {sum:G7} vs {expectedSum:G7}");
            Assert.True(expectedNorm > 0, $"{key}: the fixture's gradient is not zero");
            Assert.True(Math.Abs(norm - expectedNorm) <= GradientTolerance * expectedNorm, $"{key}: gradient norm {norm} vs torchvision's {expectedNorm}");
            // A sum can cancel to near zero: it is compared at the scale of the gradient's size.
            Assert.True(Math.Abs(sum - expectedSum) <= GradientTolerance * gradient.GetProperty("abs_sum").GetDouble(), $"{key}: gradient sum {sum} vs torchvision's {expectedSum}");
        }
    }

    private static DetectionTarget Target(JsonElement image, int height, int width, bool masks)
    {
        float[] boxes = [.. image.GetProperty("boxes").EnumerateArray().SelectMany(b => b.EnumerateArray().Select(v => v.GetSingle()))];
        long[] labels = [.. image.GetProperty("labels").EnumerateArray().Select(l => l.GetInt64())];
        Tensor? maskTensor = null;
        if (masks)
        {
            var bytes = new byte[labels.Length * height * width];
            int k = 0;
            foreach (var runs in image.GetProperty("masks").EnumerateArray())
            {
                byte[] columnMajor = new Rle(height, width, [.. runs.EnumerateArray().Select(c => c.GetUInt32())]).Decode();
                for (int y = 0; y < height; y++)
                {
                    for (int x = 0; x < width; x++)
                        bytes[(k * height + y) * width + x] = columnMajor[x * height + y];
                }
                k++;
            }
            maskTensor = tensor(bytes, [labels.Length, height, width]);
        }
        return new DetectionTarget(tensor(boxes, [labels.Length, 4]), tensor(labels), maskTensor);
    }
}

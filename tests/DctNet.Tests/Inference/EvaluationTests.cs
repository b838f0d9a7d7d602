using DctNet.Data;
using DctNet.Frequency.Imaging;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Tests.Checkpoints;
using static TorchSharp.torch;

namespace DctNet.Tests.Inference;

public sealed class EvaluationTests
{
    private const string Model = "mobilenetv2-dct";

    /// <summary>ants: 2 images; bees: 2 images and a file that is not an image.</summary>
    private static ImageFolder TwoClassFolder(string root)
    {
        foreach (var (folder, image) in new[] { ("ants", "jpeg_420.jpg"), ("ants", "png_rgb.png"), ("bees", "bmp_rgb24.bmp"), ("bees", "jpeg_444.jpg") })
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
            File.Copy(TestPaths.FixtureImage(image), Path.Combine(root, folder, image));
        }
        File.WriteAllText(Path.Combine(root, "bees", "broken.jpg"), "not an image");
        return ImageFolder.Open(root);
    }

    [Fact]
    public void Accuracy_counts_the_readable_images_as_the_model_classifies_them()
    {
        using var directory = new TemporaryDirectory();
        using var scope = NewDisposeScope();
        var data = TwoClassFolder(directory.File("val"));
        using var original = TestModels.Create(Model, channels: 6, classes: 2);
        using var model = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), TestModels.SaveCheckpoint(original, directory.File("w.safetensors"), Model, 6, 2)));
        var progress = new List<EvaluationProgress>();

        var result = Evaluation.Run(model, data, batchSize: 8, threads: 2, progress.Add);

        // The same images through the pipeline and the model in one batch, as the evaluation ran them.
        var readable = data.Samples.Where(s => !s.Path.EndsWith("broken.jpg", StringComparison.Ordinal)).ToList();
        var inputs = new float[readable.Count * model.Pipeline.Length];
        for (int i = 0; i < readable.Count; i++)
            model.Pipeline.Transform(readable[i].Path, inputs.AsSpan(i * model.Pipeline.Length, model.Pipeline.Length));
        var predicted = original.call(tensor(inputs, [readable.Count, 6, 112, 112])).argmax(1).data<long>().ToArray();
        int expectedTop1 = readable.Where((sample, i) => predicted[i] == sample.Label).Count();

        Assert.Equal(4, result.Count);
        Assert.Equal(expectedTop1, result.Top1Correct);
        Assert.Equal(100.0 * expectedTop1 / 4, result.Top1Percent);
        Assert.Equal(2, result.K); // top-5 of two classes counts both
        Assert.Equal(100.0, result.TopKPercent);
        Assert.True(result.Completed);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(Path.Combine(data.Root, "bees", "broken.jpg"), failure.Path);
        var step = Assert.Single(progress);
        Assert.Equal((5, 5), (step.Processed, step.Total));
        Assert.Equal(result.Failures, step.NewFailures);
    }

    [Fact]
    public void A_dataset_with_other_classes_than_the_model_is_refused()
    {
        using var directory = new TemporaryDirectory();
        var data = TwoClassFolder(directory.File("val"));
        using var original = TestModels.Create(Model, channels: 6, classes: 3);
        using var model = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), TestModels.SaveCheckpoint(original, directory.File("w.safetensors"), Model, 6, 3)));

        var error = Assert.Throws<ModelRequestException>(() => Evaluation.Run(model, data, batchSize: 8, threads: 1));

        Assert.Equal($"{data.Root}: 2 classes (class folders), but the model has 3 outputs; evaluate it on a dataset with its own classes.", error.Message);
    }
}

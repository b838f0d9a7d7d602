using DctNet.Checkpoints;
using DctNet.Demo;
using DctNet.Detection.Data;
using DctNet.Detection.Modeling;
using DctNet.Detection.Training;
using DctNet.Frequency.Imaging;

namespace DctNet.Detection.Tests.Training;

/// <summary>Small COCO-format sets and starting weights for training tests.</summary>
internal static class TinyDetectionSets
{
    public const int Width = 96, Height = 64;

    public static string SharedData { get; } = Path.GetFullPath(Path.Combine(Fixtures.Directory, "..", "..", "..", "..", "shared", "data"));

    /// <summary>A set drawn here (no files needed): pasted objects from two striped "photographs" on plain backgrounds.</summary>
    public static PastedObjectsSet Drawn(string directory, int images = 2)
    {
        string sources = Path.Combine(directory, "sources");
        Directory.CreateDirectory(sources);
        string Photo(string name, Func<int, int, (byte, byte, byte)> colour)
        {
            var image = new RgbImage(64, 64);
            for (int y = 0; y < 64; y++)
            {
                for (int x = 0; x < 64; x++)
                    (image.Row(y)[3 * x], image.Row(y)[3 * x + 1], image.Row(y)[3 * x + 2]) = colour(x, y);
            }
            string path = Path.Combine(sources, name + ".jpg");
            File.WriteAllBytes(path, SyntheticImages.EncodeJpeg(image));
            return path;
        }
        string background = Photo("background", (x, y) => ((byte)(60 + x), (byte)(90 + y), 120));
        var categories = new[]
        {
            ("stripes", Photo("stripes", (x, _) => x % 8 < 4 ? ((byte)230, (byte)40, (byte)40) : ((byte)250, (byte)250, (byte)250))),
            ("dots", Photo("dots", (x, y) => (x % 8 < 4) == (y % 8 < 4) ? ((byte)20, (byte)20, (byte)200) : ((byte)240, (byte)220, (byte)30))),
        };
        return PastedObjects.Write(Path.Combine(directory, "set"), [background], categories, images, Width, Height, seed: 5);
    }

    /// <summary>A set from the real photographs of ../shared/data: hymenoptera backgrounds, goose and zebra cut-outs.</summary>
    public static PastedObjectsSet Real(string directory, int images, int width = 128, int height = 96)
    {
        var backgrounds = Directory.GetFiles(Path.Combine(SharedData, "hymenoptera", "train", "ants")).Order(StringComparer.Ordinal).Take(images).ToList();
        string samples = Path.Combine(SharedData, "imagenet-samples");
        return PastedObjects.Write(directory, backgrounds,
            [("goose", Path.Combine(samples, "n01855672_goose.JPEG")), ("zebra", Path.Combine(samples, "n02391049_zebra.JPEG"))], images, width, height, seed: 1);
    }

    /// <summary>
    /// A backbone as an ImageNet classifier's file would hold it - torchvision's names for RGB, the release's model.0..3
    /// for DCT - with the deterministic weights, whose frozen norms keep activations in range (fresh ones are identities).
    /// </summary>
    public static string BackboneWeights(string directory, string model)
    {
        using var detector = DetectionModels.Create(model, classes: 3);
        const string body = "backbone.body.";
        var weights = DeterministicDetectionWeights.For(detector)
            .Where(entry => entry.Key.StartsWith(body, StringComparison.Ordinal))
            .Select(entry => KeyValuePair.Create(ClassifierKey(entry.Key[body.Length..], dct: detector.Input.Channels is not null), entry.Value));
        string path = Path.Combine(directory, $"{model}-backbone.safetensors");
        SafeTensorsFile.WriteFile(path, new StateDict(weights));
        return path;
    }

    /// <summary>Options for a run on <paramref name="set"/>, validated on <paramref name="validation"/> (the same set when null), at the sets' own size.</summary>
    public static DetectionTrainingOptions Options(string model, PastedObjectsSet set, PastedObjectsSet? validation = null, int width = Width, int height = Height) => new()
    {
        Model = model,
        Data = set.ImagesFolder,
        Annotations = set.AnnotationsPath,
        ValData = (validation ?? set).ImagesFolder,
        ValAnnotations = (validation ?? set).AnnotationsPath,
        Epochs = 1,
        BatchSize = 2,
        LearningRate = 0.005,
        WarmupIterations = 0,
        ShortEdge = Math.Min(width, height),
        LongEdge = Math.Max(width, height),
        RoIsPerImage = 16,
        Threads = 2,
    };

    private static string ClassifierKey(string key, bool dct)
        => dct && key.StartsWith("layer", StringComparison.Ordinal) ? $"model.{key[5] - '1'}{key[6..]}" : key;
}

/// <summary>Runs whose fresh weights must repeat draw from libtorch's global generator, which other test classes also use.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedTorchGenerator
{
    public const string Name = "libtorch's global generator";
}

/// <summary>A fact that needs ../shared/data; skipped with a clear message where it is absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (!Directory.Exists(Path.Combine(TinyDetectionSets.SharedData, "imagenet-samples")) || !Directory.Exists(Path.Combine(TinyDetectionSets.SharedData, "hymenoptera")))
            Skip = $"Real images not found at {TinyDetectionSets.SharedData} (see shared/data/README.md).";
    }
}

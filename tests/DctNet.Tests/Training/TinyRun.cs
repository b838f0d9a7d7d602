using DctNet.Checkpoints;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Models;
using DctNet.Training;

namespace DctNet.Tests.Training;

/// <summary>Training runs draw their initial weights from libtorch's global generator, which other test classes also use.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedTorchGenerator
{
    public const string Name = "libtorch's global generator";
}

/// <summary>A two-class ImageFolder from the fixture images and a ResNet small enough to train in a test.</summary>
internal sealed class TinyRun : IDisposable
{
    public const string BrokenImage = "broken.jpg";

    private static readonly string[] TrainA = ["jpeg_420.jpg", "jpeg_422.jpg", "jpeg_444.jpg", "jpeg_progressive.jpg"];
    private static readonly string[] TrainB = ["jpeg_tall.jpg", "jpeg_wide.jpg", "png_rgb.png", "bmp_rgb24.bmp"];
    private static readonly string[] ValA = ["jpeg_exif_orient1.jpg", "webp_lossy.webp"];
    private static readonly string[] ValB = ["jpeg_gray.jpg", "png_palette.png"];

    public TinyRun(bool withBrokenImage = false)
    {
        Root = Path.Combine(Path.GetTempPath(), $"dctnet-train-{Guid.NewGuid():N}");
        Copy(TrainA, Path.Combine(Data, "train", "a"));
        Copy(TrainB, Path.Combine(Data, "train", "b"));
        Copy(ValA, Path.Combine(Data, "val", "a"));
        Copy(ValB, Path.Combine(Data, "val", "b"));
        if (withBrokenImage)
            File.WriteAllText(Path.Combine(Data, "train", "b", BrokenImage), "not an image");
    }

    public string Root { get; }
    public string Data => Path.Combine(Root, "data");
    public string RunDirectory(string name) => Path.Combine(Root, name);

    public TrainingOptions Options(int epochs) => new()
    {
        Model = "tiny-resnet-dct",
        Data = Data,
        Epochs = epochs,
        BatchSize = 4,
        LearningRate = 0.05,
        Seed = 7,
        Threads = 2,
    };

    /// <summary>ResNet with one BasicBlock per stage, 4 base channels, DCT-6 (or all 192 behind the gate) of a 32-pixel crop (4 x 4 blocks).</summary>
    public static TrainableModel Build(TrainingOptions options, int classes)
    {
        var channels = options.Gate ? ChannelSubset.All : ChannelSubset.BuiltIn(6);
        var module = new ResNetDct(new ResNetArchitecture(ResidualBlockKind.Basic, [1, 1, 1, 1]), channels.Count, classes, layer2Stride: 2, gate: options.Gate, baseWidth: 4);
        var input = TrainingInput.For(new DctInput(new CropGeometry(40, 32), channels, InputNormalization.From(ChannelStatistics.ImageNet)));
        var metadata = new CheckpointMetadata
        {
            Model = options.Model,
            Classes = classes,
            Channels = channels,
            Normalization = input.Normalization,
            Layer2Stride = 2,
        };
        return new TrainableModel(module, metadata, input);
    }

    private static void Copy(string[] names, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (string name in names)
            File.Copy(TestPaths.FixtureImage(name), Path.Combine(folder, name));
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }
}

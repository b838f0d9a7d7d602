using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;

namespace DctNet.Onnx;

/// <summary>A class and its softmax probability.</summary>
public readonly record struct ClassScore(int Class, float Probability);

/// <summary>
/// An exported model ready to classify image files: the preprocessing its <see cref="ModelContract"/> names (the
/// frequency transform for DCT models, torchvision's recipe for RGB ones) in front of <see cref="OnnxSession"/>.
/// No libtorch is involved. Thread-safe.
/// </summary>
/// <example>
/// <code>
/// using var classifier = OnnxClassifier.Load("resnet50-dct24.onnx");
/// foreach (var (index, probability) in classifier.Classify(File.ReadAllBytes("photo.jpg"), top: 5))
///     Console.WriteLine($"class {index}: {probability:P1}");
/// </code>
/// </example>
public sealed class OnnxClassifier : IDisposable
{
    private readonly OnnxSession session;
    private readonly ImageDecoder decoder;
    private readonly DctFileTransform? dct;
    private readonly RgbTransform? rgb;
    private readonly RgbRenormalization? rgbNormalization;

    private OnnxClassifier(OnnxSession session, ImageDecoder decoder)
    {
        this.session = session;
        this.decoder = decoder;
        var contract = session.Contract;
        if (contract.TakesDct)
        {
            dct = new DctFileTransform(contract.DctPipeline, contract.Geometry, contract.Channels!, Statistics(contract), decoder);
            return;
        }
        rgb = new RgbTransform(contract.Geometry.Resize, contract.Geometry.Crop);
        rgbNormalization = RgbRenormalization.For(contract.Mean ?? [0, 0, 0], contract.Std ?? [1, 1, 1]);
    }

    /// <summary>What the model takes and gives.</summary>
    public ModelContract Contract => session.Contract;

    /// <summary>Loads a file written by <c>dctnet export</c>.</summary>
    /// <param name="threads">ONNX Runtime's threads for one image; 0 for one per core.</param>
    /// <param name="decoder">How images are decoded; the default is OpenCV's semantics with the default limits.</param>
    /// <exception cref="OnnxFileException">The file is not an ONNX model exported by DctNet.</exception>
    /// <exception cref="FileRefusedException">The path is missing or not a regular file.</exception>
    public static OnnxClassifier Load(string path, int threads = 0, ImageDecoder? decoder = null)
        => new(OnnxSession.Load(path, threads), decoder ?? new ImageDecoder());

    /// <summary>The model's input for an encoded image (JPEG, PNG, BMP, WebP): C x H x W floats as <see cref="ModelContract"/> describes.</summary>
    /// <param name="source">What the bytes are, for the messages.</param>
    /// <exception cref="ImageDecodeException">The bytes are not an image this decoder reads; the message starts with <paramref name="source"/>.</exception>
    public float[] Preprocess(ReadOnlySpan<byte> image, string source = "image")
    {
        if (dct is not null)
        {
            var output = new float[dct.OutputLength];
            dct.Transform(image, source, output);
            return output;
        }
        float[] input = rgb!.Transform(decoder.Decode(image, source));
        rgbNormalization?.Apply(input);
        return input;
    }

    /// <summary>The <paramref name="top"/> most probable classes of an encoded image, most probable first.</summary>
    public ClassScore[] Classify(ReadOnlySpan<byte> image, int top = 5, string source = "image")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        float[] logits = session.Run(Preprocess(image, source), batch: 1);
        float max = logits.Max();
        double sum = logits.Sum(l => Math.Exp(l - max));
        return [.. logits.Select((l, c) => new ClassScore(c, (float)(Math.Exp(l - max) / sum)))
            .OrderByDescending(score => score.Probability).ThenBy(score => score.Class).Take(top)];
    }

    public void Dispose() => session.Dispose();

    /// <summary>The contract's per-input-channel statistics in the transform's layout (192 values; unread channels 0 and 1).</summary>
    private static ChannelStatistics? Statistics(ModelContract contract)
    {
        if (contract.Mean is null || contract.Std is null)
            return null;
        double[] mean = new double[ChannelSubset.TotalChannels];
        double[] std = Enumerable.Repeat(1.0, ChannelSubset.TotalChannels).ToArray();
        int[] channels = contract.Channels!.Channels;
        for (int i = 0; i < channels.Length; i++)
        {
            mean[channels[i]] = contract.Mean[i];
            std[channels[i]] = contract.Std[i];
        }
        return new ChannelStatistics(mean, std);
    }
}

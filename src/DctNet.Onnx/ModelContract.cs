using System.Globalization;
using System.Text.Json;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;

namespace DctNet.Onnx;

/// <summary>The input pipeline an exported model was trained behind.</summary>
public enum InputPipeline
{
    /// <summary>REFERENCE.md section 1: resize, centre crop, YCbCr, 8 x 8 DCT with the chroma upscaled 2x, channel subset.</summary>
    Dct,

    /// <summary>torchvision's ImageNet recipe: resize, centre crop, RGB scaled to [0, 1].</summary>
    Rgb,

    /// <summary>The JPEG-domain pipeline: the JPEG file's own dequantized coefficients in a window of its block grid (<see cref="DctFileTransform"/>).</summary>
    JpegDct,
}

/// <summary>
/// What an exported model takes and gives, written into the ONNX file's <c>metadata_props</c> under <c>dctnet.*</c> keys,
/// so that a user of ONNX Runtime in any language can reproduce the preprocessing: each value is a number, a word or a
/// JSON array. The graph's input is <c>input</c>, float32 N x C x H x W with N free; its output <c>logits</c>, N x classes.
/// </summary>
/// <param name="Model">The registry's name, e.g. <c>resnet50-dct</c>.</param>
/// <param name="Channels">DCT models: the channels of the input, in its order; null for RGB.</param>
/// <param name="Mean">One value per input channel, in input order: x[c] = (value[c] - Mean[c]) / Std[c]; null for raw input.</param>
/// <param name="Gate">The model has the input gate (see <see cref="OnnxNames.GumbelNoise"/>).</param>
public sealed record ModelContract(
    string Model, int Classes, InputPipeline Pipeline, CropGeometry Geometry, ChannelSubset? Channels,
    IReadOnlyList<double>? Mean, IReadOnlyList<double>? Std, bool Gate)
{
    /// <summary>Version of this layout of keys; a reader refuses others.</summary>
    public const string Version = "1";

    /// <summary>The most classes a contract may declare (as a checkpoint's classifier).</summary>
    public const int MaxClasses = 1_000_000;

    private const string Prefix = "dctnet.";

    /// <summary>C x H x W of one image.</summary>
    public int[] Shape => TakesDct
        ? [Channels!.Count, Geometry.BlocksPerSide, Geometry.BlocksPerSide]
        : [3, Geometry.Crop, Geometry.Crop];

    /// <summary>The input is DCT coefficients (of either DCT pipeline).</summary>
    public bool TakesDct => Pipeline != InputPipeline.Rgb;

    /// <summary>The DCT pipeline of a DCT model's input.</summary>
    public DctPipeline DctPipeline => Pipeline == InputPipeline.JpegDct ? DctPipeline.Jpeg : DctPipeline.Exact;

    /// <summary>The <c>metadata_props</c> entries of this contract.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var entries = new Dictionary<string, string>
        {
            [Prefix + "version"] = Version,
            [Prefix + "model"] = Model,
            [Prefix + "classes"] = Invariant(Classes),
            [Prefix + "pipeline"] = Pipeline switch { InputPipeline.Dct => "dct", InputPipeline.JpegDct => "jpeg", _ => "rgb" },
            [Prefix + "resize"] = Invariant(Geometry.Resize),
            [Prefix + "crop"] = Invariant(Geometry.Crop),
            [Prefix + "gate"] = Gate ? "argmax" : "none",
            [Prefix + "preprocessing"] = Describe(),
        };
        if (Channels is not null)
        {
            entries[Prefix + "channels"] = Channels.Name;
            entries[Prefix + "channels.y"] = JsonSerializer.Serialize(Channels.Y);
            entries[Prefix + "channels.cb"] = JsonSerializer.Serialize(Channels.Cb);
            entries[Prefix + "channels.cr"] = JsonSerializer.Serialize(Channels.Cr);
        }
        if (Mean is not null && Std is not null)
        {
            entries[Prefix + "mean"] = JsonSerializer.Serialize(Mean);
            entries[Prefix + "std"] = JsonSerializer.Serialize(Std);
        }
        return entries;
    }

    /// <summary>Reads a contract back from a file's <c>metadata_props</c>, checking every value.</summary>
    /// <param name="source">The file, for the messages.</param>
    /// <exception cref="OnnxFileException">An entry is missing, malformed or out of range.</exception>
    public static ModelContract FromMetadata(IReadOnlyDictionary<string, string> metadata, string source)
    {
        string Get(string key) => metadata.TryGetValue(Prefix + key, out var value)
            ? value
            : throw new OnnxFileException($"{source}: the ONNX file has no '{Prefix}{key}' metadata; it is not a DctNet export.");
        int Int(string key, int min, int max) => int.TryParse(Get(key), NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new OnnxFileException($"{source}: metadata '{Prefix}{key}' must be a whole number from {min} to {max}, got '{Get(key)}'.");
        T Json<T>(string key) => Parse<T>(Get(key), source, Prefix + key);

        if (Get("version") != Version)
            throw new OnnxFileException($"{source}: metadata version {Get("version")} is not the one this DctNet reads ({Version}).");
        var pipeline = Get("pipeline") switch
        {
            "dct" => InputPipeline.Dct,
            "rgb" => InputPipeline.Rgb,
            "jpeg" => InputPipeline.JpegDct,
            var other => throw new OnnxFileException($"{source}: metadata '{Prefix}pipeline' is '{other}'; this DctNet knows 'dct', 'jpeg' and 'rgb'."),
        };
        var geometry = new CropGeometry(Int("resize", 8, CropGeometry.MaxResize), Int("crop", 8, CropGeometry.MaxCrop));
        try
        {
            geometry.Validate();
        }
        catch (ArgumentException e)
        {
            throw new OnnxFileException($"{source}: {e.Message}");
        }
        ChannelSubset? channels = null;
        if (pipeline != InputPipeline.Rgb)
        {
            try
            {
                channels = ChannelSubset.FromLists(Get("channels"), Json<int[]>("channels.y"), Json<int[]>("channels.cb"), Json<int[]>("channels.cr"));
            }
            catch (ArgumentException e)
            {
                throw new OnnxFileException($"{source}: {e.Message}");
            }
        }
        int inputChannels = channels?.Count ?? 3;
        double[]? mean = metadata.ContainsKey(Prefix + "mean") ? Json<double[]>("mean") : null;
        double[]? std = metadata.ContainsKey(Prefix + "std") ? Json<double[]>("std") : null;
        if ((mean is null) != (std is null))
            throw new OnnxFileException($"{source}: metadata has one of '{Prefix}mean' and '{Prefix}std' without the other.");
        if (mean is not null && (mean.Length != inputChannels || std!.Length != inputChannels || mean.Any(m => !double.IsFinite(m)) || std.Any(s => !(s > 0) || !double.IsFinite(s))))
            throw new OnnxFileException($"{source}: metadata '{Prefix}mean' and '{Prefix}std' need {inputChannels} finite values each, the standard deviations positive.");
        bool gate = Get("gate") switch
        {
            "none" => false,
            "argmax" => true,
            var other => throw new OnnxFileException($"{source}: metadata '{Prefix}gate' is '{other}'; this DctNet knows 'none' and 'argmax'."),
        };
        return new ModelContract(Get("model"), Int("classes", 1, MaxClasses), pipeline, geometry, channels, mean, std, gate);
    }

    /// <summary>The preprocessing in words, stored beside the values as <c>dctnet.preprocessing</c>.</summary>
    public string Describe()
    {
        string normalize = Mean is null ? "no normalization (raw values)" : "then x[c] = (value[c] - mean[c]) / std[c] with dctnet.mean and dctnet.std";
        string layout = $"float32 N x {string.Join(" x ", Shape)} (NCHW), N free";
        string gate = Gate
            ? $" The input gate is in the graph and decides each channel by the larger of its two logits; feed '{OnnxNames.GumbelNoise}' (N x 192 x 2 Gumbel noise) to sample the gates as the release does."
            : "";
        if (Pipeline == InputPipeline.JpegDct)
        {
            return "JPEG files only, not decoded: read the quantized DCT coefficients of each component (libjpeg's jpeg_read_coefficients) and "
                + "multiply by the component's quantization table; bring subsampled chroma onto the luma block grid by the DCT-domain image of "
                + "pixel replication; apply the EXIF orientation on the block grid; take the centred window of "
                + $"{Geometry.BlocksPerSide} x {Geometry.BlocksPerSide} luma blocks, blocks outside the image being 0 after normalization; "
                + $"channel 8v+u of each component is coefficient (v, u) of every block; keep dctnet.channels.y, .cb, .cr in that order; {normalize}. "
                + $"Input: {layout}.{gate} DctNet's DctFileTransform with the jpeg pipeline writes exactly this input.";
        }
        return Pipeline == InputPipeline.Dct
            ? $"Decode to RGB; resize the shorter side to {Geometry.Resize} (OpenCV INTER_LINEAR) and crop the centre {Geometry.Crop} x {Geometry.Crop}; "
                + "convert to YCbCr and take the 8 x 8 DCT coefficients a quality-100 libjpeg-turbo encode stores (Y from the crop, Cb and Cr from the crop "
                + "upscaled 2x and subsampled 4:2:0), dequantized; channel 8v+u of each component is coefficient (v, u) of every block; keep dctnet.channels.y, "
                + $".cb, .cr in that order; {normalize}. Input: {layout}.{gate} DctNet's DctTransform writes exactly this input."
            : $"Decode to RGB; resize the shorter side to {Geometry.Resize} (Pillow bilinear, as torchvision's Resize) and crop the centre {Geometry.Crop} x {Geometry.Crop}; scale to [0, 1]; "
                + $"{normalize}. Input: {layout}.";
    }

    private static T Parse<T>(string json, string source, string key)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json) ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            throw new OnnxFileException($"{source}: metadata '{key}' is not a JSON array of numbers.");
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The names of an exported graph's inputs and outputs.</summary>
public static class OnnxNames
{
    /// <summary>float32 N x C x H x W, as <see cref="ModelContract"/> describes.</summary>
    public const string Input = "input";

    /// <summary>float32 N x classes.</summary>
    public const string Logits = "logits";

    /// <summary>
    /// Gated models only: optional float32 N x 192 x 2 Gumbel noise added to the gate's (off, on) logits. It defaults
    /// to zeros (an initializer the caller may override), so the gate decides by the larger logit; feeding noise drawn as
    /// -log(1e-10 - log(u + 1e-10)), u uniform on [0, 1), samples the gates as the release does in evaluation.
    /// </summary>
    public const string GumbelNoise = "gumbel_noise";
}

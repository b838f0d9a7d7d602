using DctNet.Models;
using System.Buffers.Binary;
using System.Text;
using DctNet.Checkpoints;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;

namespace DctNet.Tests.Checkpoints;

/// <summary>
/// safetensors files: the fixture was laid out from the format's specification by the Python generator (the
/// reference library cannot be installed here), with the tensors PyTorch produced; DctNet's checkpoints add
/// their metadata and must round-trip.
/// </summary>
public sealed class SafeTensorsTests
{
    [Fact]
    public void A_file_laid_out_by_the_specification_reads_as_the_tensors_and_metadata()
    {
        var contents = SafeTensorsFile.ReadFile(CheckpointFixtures.PathOf("dtypes.safetensors"));

        CheckpointFixtures.AssertEqual(CheckpointFixtures.Expected("dtypes"), contents.Tensors);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["written_by"] = "make_checkpoints.py" }, contents.Metadata);
    }

    [Fact]
    public void Writing_the_same_tensors_and_metadata_gives_the_same_bytes()
    {
        using var directory = new TemporaryDirectory();
        string written = directory.File("dtypes.safetensors");

        SafeTensorsFile.WriteFile(written, CheckpointFixtures.ToStateDict(CheckpointFixtures.Expected("dtypes")),
            new Dictionary<string, string> { ["format"] = "pt", ["written_by"] = "make_checkpoints.py" });

        Assert.Equal(File.ReadAllBytes(CheckpointFixtures.PathOf("dtypes.safetensors")), File.ReadAllBytes(written));
    }

    [Fact]
    public void A_DctNet_checkpoint_round_trips_weights_and_metadata()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("resnet50-dct.safetensors");
        var weights = CheckpointFixtures.ToStateDict(CheckpointFixtures.Expected("small_net"));
        var metadata = new CheckpointMetadata
        {
            Model = "resnet50-dct",
            Classes = 1000,
            Channels = ChannelSubset.BuiltIn(24),
            Normalization = InputNormalization.From(ChannelStatistics.ImageNet),
            Layer2Stride = 1,
            Geometry = new CropGeometry(146, 128),
        };

        new DctNetCheckpoint(metadata, weights).Save(path);
        var loaded = DctNetCheckpoint.Load(path);
        var viaAnyFormat = WeightsFile.Read(path);

        CheckpointFixtures.AssertEqual(CheckpointFixtures.Expected("small_net"), loaded.Weights);
        Assert.Equal("resnet50-dct", loaded.Metadata.Model);
        Assert.Equal(1000, loaded.Metadata.Classes);
        Assert.Equal(1, loaded.Metadata.Layer2Stride);
        Assert.Equal(new CropGeometry(146, 128), loaded.Metadata.Geometry);
        Assert.Equal("24", loaded.Metadata.Channels!.Name);
        Assert.Equal(ChannelSubset.BuiltIn(24).Channels, loaded.Metadata.Channels.Channels);
        Assert.Equal(ChannelStatistics.ImageNet.Mean, loaded.Metadata.Normalization!.Mean);
        Assert.Equal(ChannelStatistics.ImageNet.Std, loaded.Metadata.Normalization.Std);
        Assert.Equal(metadata.ToJson(), viaAnyFormat.Metadata!.ToJson());
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(directory.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void An_RGB_checkpoint_needs_no_channels_or_stride()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("resnet50.safetensors");
        var metadata = new CheckpointMetadata
        {
            Model = "resnet50",
            Classes = 10,
            Normalization = new InputNormalization([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        };

        new DctNetCheckpoint(metadata, new StateDict()).Save(path);
        var loaded = DctNetCheckpoint.Load(path).Metadata;

        Assert.Equal("{\"format_version\":1,\"model\":\"resnet50\",\"classes\":10,\"normalization\":{\"mean\":[0.485,0.456,0.406],\"std\":[0.229,0.224,0.225]}}",
            metadata.ToJson());
        Assert.Null(loaded.Channels);
        Assert.Null(loaded.Layer2Stride);
        Assert.Equal([0.485, 0.456, 0.406], loaded.Normalization!.Mean);
    }

    [Fact]
    public void A_safetensors_file_without_DctNet_metadata_is_no_DctNet_checkpoint()
    {
        string path = CheckpointFixtures.PathOf("dtypes.safetensors");

        var error = Assert.Throws<CheckpointException>(() => DctNetCheckpoint.Load(path));

        Assert.Equal($"{path}: a safetensors file without DctNet metadata (no 'dctnet' entry in __metadata__).", error.Message);
    }

    [Fact]
    public void Truncated_and_inconsistent_files_are_refused_with_the_reason()
    {
        using var directory = new TemporaryDirectory();
        byte[] valid = File.ReadAllBytes(CheckpointFixtures.PathOf("dtypes.safetensors"));
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(valid);
        long dataLength = valid.Length - 8 - headerLength;

        string truncated = directory.File("truncated.safetensors");
        File.WriteAllBytes(truncated, valid[..^10]);
        string trailing = directory.File("trailing.safetensors");
        File.WriteAllBytes(trailing, [.. valid, 0, 0]);
        string absurdHeader = directory.File("absurd.safetensors");
        File.WriteAllBytes(absurdHeader, [.. BitConverter.GetBytes(1L << 40), .. valid[8..]]);
        string overlapping = directory.File("overlap.safetensors");
        File.WriteAllBytes(overlapping, Header("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8));
        string wrongSize = directory.File("size.safetensors");
        File.WriteAllBytes(wrongSize, Header("""{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}""", 8));
        string unknownType = directory.File("type.safetensors");
        File.WriteAllBytes(unknownType, Header("""{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", 8));
        string overflowing = directory.File("overflow.safetensors"); // 2^32 x 2^32 elements: no 64-bit count
        File.WriteAllBytes(overflowing, Header("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8));
        string huge = directory.File("huge.safetensors"); // beyond Int64 altogether
        File.WriteAllBytes(huge, Header("""{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}""", 8));

        string Error(string path) => Assert.Throws<CheckpointException>(() => SafeTensorsFile.ReadFile(path)).Message;
        Assert.Equal($"{truncated}: truncated: the tensors need {dataLength} bytes of data, the file has {dataLength - 10}.", Error(truncated));
        Assert.Equal($"{trailing}: 2 bytes after the last tensor's data.", Error(trailing));
        Assert.Equal($"{absurdHeader}: safetensors header length {1L << 40} exceeds 16777216 bytes (about 100 per tensor).", Error(absurdHeader));
        Assert.Equal($"{overlapping}: tensor 'b' starts at byte 4 of the data, expected 8 (gap or overlap).", Error(overlapping));
        Assert.Equal($"{wrongSize}: tensor 'a' of shape [2] needs 16 bytes, its data_offsets span 8.", Error(wrongSize));
        Assert.Equal($"{unknownType}: tensor 'a' has dtype 'C64', which is not supported.", Error(unknownType));
        Assert.StartsWith($"{overflowing}: a size, count or offset in the file is out of range", Error(overflowing), StringComparison.Ordinal);
        Assert.StartsWith($"{huge}: safetensors header is not valid", Error(huge), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("last.safetensors")]
    [InlineData("last.pth")]
    public void Tensors_are_never_read_from_a_file_renamed_over_the_one_whose_header_was_read(string name)
    {
        // Training renames a new last.safetensors over the old one between epochs; a reader must not mix the two.
        using var directory = new TemporaryDirectory();
        string path = directory.File(name);
        var epoch1 = new StateDict { { "w", new TensorData(TensorElementType.Float32, [2], new byte[8]) } };
        var epoch2 = new StateDict { { "w", new TensorData(TensorElementType.Float32, [2], [0, 0, 128, 63, 0, 0, 128, 63]) } };
        Action<string, StateDict> write = name.EndsWith(".pth", StringComparison.Ordinal) ? (file, weights) => PyTorchCheckpoint.Write(file, weights) : (file, weights) => SafeTensorsFile.WriteFile(file, weights);
        write(path, epoch1);

        var read = WeightsFile.Read(path).Weights;
        write(path, epoch2);
        var error = Assert.Throws<CheckpointException>(() => read["w"].Bytes);

        Assert.Equal($"{path}: the file was replaced while its tensors were being read; read it again.", error.Message);
        Assert.Equal([1f, 1f], WeightsFile.Read(path).Weights["w"].ToArray<float>());
    }

    [Fact]
    public void A_header_declaring_more_tensors_than_any_model_has_is_refused()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("many.safetensors");
        string entries = string.Join(",", Enumerable.Range(0, CheckpointLimits.MaxTensors + 1).Select(i => $$"""
            "t{{i}}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}
            """));
        File.WriteAllBytes(path, Header("{" + entries + "}", 0));

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsFile.ReadFile(path));

        Assert.Equal($"{path}: safetensors header declares more than {CheckpointLimits.MaxTensors} tensors.", error.Message);
    }

    private static byte[] Header(string json, int dataBytes)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        return [.. BitConverter.GetBytes((long)header.Length), .. header, .. new byte[dataBytes]];
    }
}

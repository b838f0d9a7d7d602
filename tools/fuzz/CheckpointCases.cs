using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;

namespace DctNet.Fuzz;

/// <summary>
/// Checkpoints that cost more than they hold: torch.save's zip and legacy layouts and safetensors, with nesting,
/// shared references, overlapping or zero strides, compression bombs and sizes at the edge of 64 bits. Every one is
/// given in turn to <c>predict</c> and <c>convert</c> (which would write a file) for resnet18, whose own weights are
/// 45 MB, and to <c>detect</c> (which would write a folder) for Faster R-CNN.
/// </summary>
internal static class CheckpointCases
{
    private const string Class = "checkpoints";

    public static IEnumerable<FuzzCase> Write(FuzzCorpus corpus)
    {
        string image = corpus.SharedImage;
        int index = 0;
        foreach (var (name, fileName, content) in Files())
        {
            string directory = corpus.CaseDirectory(Class, name);
            content(Path.Combine(directory, fileName));
            string[] command = name.Contains("detection", StringComparison.Ordinal)
                ? ["detect", "--weights", fileName, image, "--out", "detections"]
                : (index++ % 3) switch
            {
                0 => ["predict", "--model", "resnet18", "--weights", fileName, image],
                1 => ["convert", "--model", "resnet18", "--weights", fileName, "--out", "converted.safetensors"],
                _ => ["detect", "--model", "fasterrcnn-r50-fpn", "--weights", fileName, image, "--out", "detections"],
            };
            yield return new FuzzCase(Class, name, directory, command, fileName);
        }
    }

    private static IEnumerable<(string Name, string FileName, Action<string> Write)> Files()
    {
        const long Huge = 1L << 62;

        // Containers: depth, width and sharing that no state dict has.
        yield return ("zip-nested-million-lists", "model.pth", path => Zip(path, Nested(1_000_000), []));
        yield return ("zip-entry-nested-lists", "model.pth", path => Zip(path, Entry("conv1.weight", pickle => NestedInto(pickle, 200_000)), []));
        yield return ("zip-shared-2-to-the-60", "model.pth", path => Zip(path, Entry("conv1.weight", SharedDoubling), []));
        yield return ("zip-root-list", "model.pth", path => Zip(path, new PickleWriter().EmptyList().Stop().ToArray(), []));
        yield return ("zip-os-system", "model.pth", path => Zip(path, new PickleWriter().Global("os", "system").String("true").Op(0x85).Reduce().Stop().ToArray(), []));

        // Views that make a few bytes into gigabytes.
        yield return ("zip-stride-zero-4-gib", "model.pth", path => Zip(path, Tensor("conv1.weight", 1, 0, [32768, 32768], [0, 0]), [Storage("0", 4)]));
        yield return ("zip-overlapping-strides", "model.pth", path => Zip(path, Tensor("conv1.weight", 60_000, 0, [30_000, 30_000], [1, 1]), [Storage("0", 240_000)]));
        yield return ("zip-right-shape-stride-zero", "model.pth", path => Zip(path, Tensor("conv1.weight", 1, 0, [64, 3, 7, 7], [0, 0, 0, 0]), [Storage("0", 4)]));

        // A classifier that declares two billion classes from one stored element: the model it asks for needs 4 TB.
        yield return ("zip-two-billion-classes", "model.pth", path => Zip(path, PickleWriter.StateDict(
            ("fc.weight", pickle => pickle.Tensor("0", 1, 0, [2_000_000_000, 512], [0, 0])),
            ("fc.bias", pickle => pickle.Tensor("0", 1, 0, [2_000_000_000], [0]))), [Storage("0", 4)]));

        // Sizes at the edge of 64 bits.
        yield return ("zip-element-count-overflow", "model.pth", path => Zip(path, Tensor("conv1.weight", 8, 0, [Huge, 8], [0, 1]), [Storage("0", 32)]));
        yield return ("zip-storage-bytes-overflow", "model.pth", path => Zip(path, Tensor("conv1.weight", Huge, 0, [4], [1]), [Storage("0", 16)]));
        yield return ("zip-offset-overflow", "model.pth", path => Zip(path, Tensor("conv1.weight", 4, long.MaxValue, [4], [1]), [Storage("0", 16)]));
        yield return ("zip-stride-overflow", "model.pth", path => Zip(path, Tensor("conv1.weight", 4, 0, [4, 4], [Huge, 1]), [Storage("0", 16)]));
        yield return ("zip-100-thousand-dimensions", "model.pth", path => Zip(path, Tensor("conv1.weight", 1, 0, [.. Enumerable.Repeat(1L, 100_000)], [.. Enumerable.Repeat(1L, 100_000)]), [Storage("0", 4)]));
        yield return ("zip-negative-size", "model.pth", path => Zip(path, Tensor("conv1.weight", 4, 0, [-4], [1]), [Storage("0", 16)]));

        // Archives that lie about their records.
        yield return ("zip-storage-deflates-to-2-gib", "model.pth", path => Zip(path, Tensor("conv1.weight", 1L << 29, 0, [64, 3, 7, 7], [147, 49, 7, 1]), [Storage("0", 1L << 31, deflate: true)]));
        yield return ("zip-pickle-deflates-to-1-gib", "model.pth", path => Zip(path, null, [Storage("0", 0)], pickleBomb: 1L << 30));
        yield return ("zip-record-twice", "model.pth", path => Zip(path, Tensor("conv1.weight", 4, 0, [4], [1]), [Storage("0", 16), Storage("0", 16)]));
        yield return ("zip-record-missing", "model.pth", path => Zip(path, Tensor("conv1.weight", 4, 0, [4], [1]), []));
        yield return ("zip-record-shorter", "model.pth", path => Zip(path, Tensor("conv1.weight", 1000, 0, [4], [1]), [Storage("0", 16)]));
        yield return ("zip-truncated", "model.pth", path =>
        {
            Zip(path, Tensor("conv1.weight", 4, 0, [4], [1]), [Storage("0", 16)]);
            byte[] whole = File.ReadAllBytes(path);
            File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        });
        yield return ("zip-120-thousand-records", "model.pth", path =>
        {
            using var archive = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
            for (int i = 0; i < 120_000; i++)
                archive.CreateEntry($"archive/data/{i}", CompressionLevel.NoCompression);
        });
        yield return ("empty-file", "model.pth", path => File.WriteAllBytes(path, []));

        // The legacy layout: header pickles, then storages with their element counts.
        yield return ("legacy-count-beyond-file", "legacy.pth", path => Legacy(path, Tensor("conv1.weight", 1L << 40, 0, [4], [1], legacy: true), storageCount: 1L << 40));
        yield return ("legacy-deep-magic", "legacy.pth", path => File.WriteAllBytes(path, Nested(1_000_000)));

        // safetensors: an 8-byte header length, a JSON header, the data.
        yield return ("safetensors-header-length-huge", "model.safetensors", path => SafeTensors(path, "{}", headerLength: ulong.MaxValue));
        yield return ("safetensors-shape-overflow", "model.safetensors", path => SafeTensors(path, $$$"""{"conv1.weight":{"dtype":"F32","shape":[{{{Huge}}},16],"data_offsets":[0,0]}}"""));
        yield return ("safetensors-offsets-overflow", "model.safetensors", path => SafeTensors(path, $$$"""{"conv1.weight":{"dtype":"F32","shape":[4],"data_offsets":[{{{long.MaxValue - 4}}},{{{long.MaxValue}}}]}}"""));
        yield return ("safetensors-offset-beyond-int64", "model.safetensors", path => SafeTensors(path, """{"conv1.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,99999999999999999999999]}}"""));
        yield return ("safetensors-fractional-shape", "model.safetensors", path => SafeTensors(path, """{"conv1.weight":{"dtype":"F32","shape":[4.5],"data_offsets":[0,18]}}"""));
        yield return ("safetensors-deep-json", "model.safetensors", path => SafeTensors(path, "{\"a\":" + new string('[', 100_000) + new string(']', 100_000) + "}"));
        yield return ("safetensors-200-thousand-tensors", "model.safetensors", path => SafeTensors(path,
            "{" + string.Join(",", Enumerable.Range(0, 200_000).Select(i => $"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}")) + "}"));
        yield return ("safetensors-8-million-dimensions", "model.safetensors", path => SafeTensors(path,
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + string.Join(",", Enumerable.Repeat("0", 8_000_000)) + "],\"data_offsets\":[0,0]}}"));
        yield return ("safetensors-metadata-two-billion-classes", "model.safetensors", path => SafeTensors(path,
            Metadata("dctnet", """{"format_version":1,"model":"resnet18","classes":2000000000}""")));
        yield return ("safetensors-metadata-crop-2-to-the-31", "model.safetensors", path => SafeTensors(path,
            Metadata("dctnet", """{"format_version":1,"model":"resnet18","classes":10,"geometry":{"resize":2000000000,"crop":2147483640}}""")));
        yield return ("safetensors-detection-scale-2-to-the-30", "model.safetensors", path => SafeTensors(path,
            Metadata("dctnet_detection", """{"format_version":1,"model":"fasterrcnn-r50-fpn","categories":[{"id":1,"name":"a"}],"short_edge":800,"long_edge":1073741824}""")));
        yield return ("safetensors-detection-40-thousand-categories", "model.safetensors", path => SafeTensors(path,
            Metadata("dctnet_detection", """{"format_version":1,"model":"fasterrcnn-r50-fpn","short_edge":800,"long_edge":1333,"categories":["""
                + string.Join(",", Enumerable.Range(1, 40_000).Select(i => $$$"""{"id":{{{i}}},"name":"c{{{i}}}"}""")) + "]}")));
        yield return ("safetensors-data-beyond-file", "model.safetensors", path => SafeTensors(path, """{"conv1.weight":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}"""));
        yield return ("safetensors-1-5-gib-unused", "model.safetensors", path => SafeTensors(path, """{"unused":{"dtype":"F32","shape":[402653184],"data_offsets":[0,1610612736]}}""", sparseData: 1_610_612_736));
    }

    private static byte[] Nested(int depth)
    {
        var pickle = new PickleWriter();
        NestedInto(pickle, depth);
        return pickle.Stop().ToArray();
    }

    private static void NestedInto(PickleWriter pickle, int depth)
    {
        for (int i = 0; i < depth; i++)
            pickle.EmptyList();
        for (int i = 1; i < depth; i++)
            pickle.Append();
    }

    /// <summary>t = (); 60 times t = (t, t) through the memo: 61 tuples in the file, 2^60 leaves for anything that walks it as a tree.</summary>
    private static void SharedDoubling(PickleWriter pickle)
    {
        pickle.EmptyTuple().Put(0);
        for (int level = 1; level <= 60; level++)
            pickle.Get(0).Op(0x86).Put(0);
    }

    private static byte[] Entry(string name, Action<PickleWriter> value)
    {
        var pickle = new PickleWriter().EmptyDict().String(name);
        value(pickle);
        return pickle.SetItem().Stop().ToArray();
    }

    private static byte[] Tensor(string name, long storageElements, long offset, long[] shape, long[] strides, bool legacy = false)
        => PickleWriter.StateDict((name, pickle => pickle.Tensor("0", storageElements, offset, shape, strides, legacy)));

    private static (string Name, long Bytes, bool Deflate) Storage(string key, long bytes, bool deflate = false) => ($"data/{key}", bytes, deflate);

    /// <summary>A torch.save-style archive: archive/data.pkl, the storage records (zeros), archive/version.</summary>
    private static void Zip(string path, byte[]? pickle, (string Name, long Bytes, bool Deflate)[] records, long pickleBomb = 0)
    {
        using var archive = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        var data = archive.CreateEntry("archive/data.pkl", pickleBomb > 0 ? CompressionLevel.SmallestSize : CompressionLevel.NoCompression);
        using (var stream = data.Open())
        {
            if (pickle is not null)
                stream.Write(pickle);
            WriteZeros(stream, pickleBomb);
        }
        foreach (var (name, bytes, deflate) in records)
        {
            var record = archive.CreateEntry("archive/" + name, deflate ? CompressionLevel.SmallestSize : CompressionLevel.NoCompression);
            using var stream = record.Open();
            WriteZeros(stream, bytes);
        }
        using (var version = archive.CreateEntry("archive/version").Open())
            version.Write("3\n"u8);
    }

    private static void WriteZeros(Stream stream, long count)
    {
        var zeros = new byte[1 << 20];
        for (long left = count; left > 0; left -= zeros.Length)
            stream.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
    }

    private static void Legacy(string path, byte[] statePickle, long storageCount)
    {
        using var file = File.Create(path);
        var magic = new PickleWriter();
        byte[] magicNumber = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture).ToByteArray();
        file.Write(magic.Op(0x8a).Raw([(byte)magicNumber.Length]).Raw(magicNumber).Stop().ToArray());
        file.Write(new PickleWriter().Int(1001).Stop().ToArray());
        file.Write(new PickleWriter().EmptyDict().String("little_endian").Op(0x88).SetItem().Stop().ToArray());
        file.Write(statePickle);
        file.Write(new PickleWriter().EmptyList().String("0").Append().Stop().ToArray());
        Span<byte> count = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(count, storageCount);
        file.Write(count);
        file.Write(new byte[64]);
    }

    /// <summary>A header of no tensors whose __metadata__ holds <paramref name="json"/> under <paramref name="key"/>, as DctNet's checkpoints keep theirs.</summary>
    private static string Metadata(string key, string json)
        => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, Dictionary<string, string>> { ["__metadata__"] = new() { [key] = json } });

    private static void SafeTensors(string path, string header, ulong? headerLength = null, long sparseData = 0)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, headerLength ?? (ulong)json.Length);
        file.Write(length);
        file.Write(json);
        if (sparseData > 0)
            file.SetLength(file.Length + sparseData);
    }
}

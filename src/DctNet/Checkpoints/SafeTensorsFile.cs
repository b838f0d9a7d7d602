using System.Buffers.Binary;
using System.Text.Json;
using DctNet.Frequency.IO;

namespace DctNet.Checkpoints;

/// <summary>The tensors and the string metadata (<c>__metadata__</c>) of a safetensors file.</summary>
public sealed record SafeTensorsContents(StateDict Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The safetensors format (github.com/huggingface/safetensors, "Format"): an 8-byte little-endian header
/// length, a JSON header mapping each tensor to its dtype, shape and [begin, end) byte range, then the
/// tensors' bytes. Hand-written: TorchSharp 0.107 has no safetensors support, no safetensors package is
/// served on this project's NuGet feed, and the one inside TorchSharp.PyBridge counts the header in UTF-16
/// characters instead of bytes, writes no metadata and checks no offsets.
/// </summary>
public static class SafeTensorsFile
{
    private const string MetadataKey = "__metadata__";

    /// <summary>Writes atomically: the file appears complete under <paramref name="path"/> or not at all.</summary>
    public static void WriteFile(string path, StateDict tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));
    }

    /// <summary>Tensors in state-dict order, the header padded with spaces to a multiple of 8 bytes as the reference does.</summary>
    internal static void Write(Stream stream, StateDict tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                if (name == MetadataKey)
                    throw new ArgumentException($"A tensor cannot be named {MetadataKey}.", nameof(tensors));
                json.WriteStartObject(name);
                json.WriteString("dtype", tensor.ElementType.SafeTensorsName());
                json.WriteStartArray("shape");
                foreach (long size in tensor.Shape)
                    json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += tensor.Bytes.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0)
            header.WriteByte((byte)' ');

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var tensor in tensors.Values)
            stream.Write(tensor.Bytes.Span);
    }

    /// <summary>
    /// Reads and validates a file: the header now, each tensor's bytes when first used (<see cref="TensorData"/>).
    /// Checks what the reference checks: the header's size, its JSON, known dtypes, byte ranges that match each
    /// shape and tile the data exactly (no gaps, overlaps or trailing bytes).
    /// </summary>
    /// <exception cref="CheckpointException">Missing, truncated or invalid; the message starts with the path.</exception>
    public static SafeTensorsContents ReadFile(string path) => CheckpointErrors.Reading(path, () =>
    {
        using var stream = FileProbe.OpenRead(path, 1 << 16);
        return Read(stream, (begin, length) => CheckpointErrors.Reading(path, () =>
        {
            using var reopened = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var bytes = new byte[length];
            reopened.Position = begin;
            reopened.ReadExactly(bytes);
            return bytes;
        }));
    });

    /// <param name="readRange">Reads the bytes [begin, begin + length) of the file, when a tensor is first used.</param>
    private static SafeTensorsContents Read(Stream stream, Func<long, long, byte[]> readRange)
    {
        var headerBytes = new byte[ReadHeaderLength(stream)];
        stream.ReadExactly(headerBytes);
        long dataStart = stream.Position;
        long dataLength = stream.Length - dataStart;

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<(string Name, TensorElementType Type, long[] Shape, long Begin, long End)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(headerBytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException("safetensors header is not a JSON object.");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw new InvalidDataException($"safetensors header names '{property.Name}' twice.");

                if (property.Name == MetadataKey)
                {
                    foreach (var item in property.Value.EnumerateObject())
                        metadata[item.Name] = item.Value.GetString() ?? throw new InvalidDataException($"metadata '{item.Name}' is null.");
                    continue;
                }
                entries.Add(ParseEntry(property));
                if (entries.Count > CheckpointLimits.MaxTensors)
                    throw new InvalidDataException($"safetensors header declares more than {CheckpointLimits.MaxTensors} tensors.");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"safetensors header is not valid ({e.Message})", e);
        }

        long expectedBegin = 0;
        foreach (var entry in entries.OrderBy(entry => entry.Begin).ThenBy(entry => entry.End))
        {
            if (entry.Begin != expectedBegin)
                throw new InvalidDataException($"tensor '{entry.Name}' starts at byte {entry.Begin} of the data, expected {expectedBegin} (gap or overlap).");
            expectedBegin = entry.End;
        }
        if (expectedBegin != dataLength)
            throw new InvalidDataException(expectedBegin > dataLength
                ? $"truncated: the tensors need {expectedBegin} bytes of data, the file has {dataLength}."
                : $"{dataLength - expectedBegin} bytes after the last tensor's data.");

        var tensors = new StateDict();
        foreach (var (name, type, shape, begin, end) in entries)
            tensors.Add(name, new TensorData(type, shape, () => readRange(dataStart + begin, end - begin)));
        return new SafeTensorsContents(tensors, metadata);
    }

    private static long ReadHeaderLength(Stream stream)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) != 8)
            throw new InvalidDataException("not a safetensors file: shorter than its 8-byte header length.");
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (length > CheckpointLimits.MaxStructureBytes)
            throw new InvalidDataException($"safetensors header length {length} exceeds {CheckpointLimits.MaxStructureBytes} bytes (about 100 per tensor).");
        if ((long)length > stream.Length - stream.Position)
            throw new InvalidDataException($"truncated: the header needs {length} bytes, the file has {stream.Length - stream.Position} after its length.");
        return (long)length;
    }

    private static (string Name, TensorElementType Type, long[] Shape, long Begin, long End) ParseEntry(JsonProperty property)
    {
        string name = property.Name;
        var info = property.Value;
        string dtype = info.GetProperty("dtype").GetString() ?? "";
        if (!TensorElementTypes.TryFromSafeTensorsName(dtype, out var type))
            throw new InvalidDataException($"tensor '{name}' has dtype '{dtype}', which is not supported.");
        var shapeArray = info.GetProperty("shape");
        if (shapeArray.GetArrayLength() > CheckpointLimits.MaxRank)
            throw new InvalidDataException($"tensor '{name}' has {shapeArray.GetArrayLength()} dimensions; at most {CheckpointLimits.MaxRank} are read.");
        long[] shape = shapeArray.EnumerateArray().Select(size => size.GetInt64()).ToArray();
        long[] offsets = info.GetProperty("data_offsets").EnumerateArray().Select(offset => offset.GetInt64()).ToArray();
        if (shape.Any(size => size < 0) || offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
            throw new InvalidDataException($"tensor '{name}' has an invalid shape or data_offsets.");
        long needed = checked(TensorData.CountElements(shape) * type.Size());
        if (offsets[1] - offsets[0] != needed)
            throw new InvalidDataException($"tensor '{name}' of shape {TensorData.FormatShape(shape)} needs {needed} bytes, its data_offsets span {offsets[1] - offsets[0]}.");
        return (name, type, shape, offsets[0], offsets[1]);
    }
}

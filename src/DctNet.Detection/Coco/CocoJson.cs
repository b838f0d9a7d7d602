using System.Text.Json;
using System.Text.Json.Serialization;
using DctNet.Frequency.IO;

namespace DctNet.Detection.Coco;

/// <summary>System.Text.Json plumbing shared by the annotation and results files.</summary>
internal static class CocoJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new CocoSegmentationConverter() },
    };

    /// <summary>
    /// Deserializes <paramref name="path"/>, streaming; malformed JSON becomes a <see cref="CocoFormatException"/>, and
    /// a path that is missing or not a regular file a <see cref="FileRefusedException"/> (a FIFO is never opened).
    /// </summary>
    /// <param name="expected">What the file should hold ("a JSON list of results"), for a root of the wrong kind.</param>
    public static T Read<T>(string path, string expected)
        where T : class
    {
        try
        {
            using var stream = FileProbe.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream, Options) ?? throw new CocoFormatException(path, "the file holds JSON null.");
        }
        catch (JsonException e)
        {
            throw new CocoFormatException(path, Describe(e, expected), e);
        }
    }

    /// <summary>
    /// The serializer's own messages carry the JSON path; those of the segmentation converter get it here. A root of
    /// the wrong kind (an annotation file given as results) would name .NET types, so it is said in COCO's words.
    /// </summary>
    private static string Describe(JsonException e, string expected) =>
        e.Path == "$" && e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
            ? $"not {expected}."
            : e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) && Expected(e.Message) is { } kind
            ? $"{e.Path} (line {e.LineNumber + 1}) is not {kind}."
            : e.Path is null || e.Message.Contains(" Path: ", StringComparison.Ordinal)
            ? e.Message
            : $"{e.Message} (at {e.Path}, line {e.LineNumber + 1})";

    /// <summary>A field of the wrong kind or range, in JSON's words rather than .NET's type names.</summary>
    private static string? Expected(string message) =>
        message.Contains("Int32", StringComparison.Ordinal) ? "a whole number from -2147483648 to 2147483647"
        : message.Contains("Int64", StringComparison.Ordinal) ? "a whole number within 64 bits"
        : message.Contains("Double", StringComparison.Ordinal) ? "a number"
        : message.Contains("String", StringComparison.Ordinal) ? "a string"
        : message.Contains("List", StringComparison.Ordinal) || message.Contains("[]", StringComparison.Ordinal) ? "a list"
        : null;
}

/// <summary>
/// Reads a segmentation as polygons (<c>[[x, y, ...], ...]</c>) or an RLE object (<c>{"size": [h, w], "counts": ...}</c>
/// with a string or a list of run lengths); an empty polygon list, which box-only COCO files use, reads as no
/// segmentation.
/// </summary>
internal sealed class CocoSegmentationConverter : JsonConverter<CocoSegmentation>
{
    public override CocoSegmentation? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.StartArray => ReadPolygons(ref reader),
            JsonTokenType.StartObject => CocoSegmentation.FromMask(ReadRle(ref reader)),
            _ => throw new JsonException("A segmentation is a list of polygons or an RLE object {\"size\", \"counts\"}."),
        };

    private static CocoSegmentation? ReadPolygons(ref Utf8JsonReader reader)
    {
        var parts = new List<double[]>();
        var part = new List<double>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
                throw new JsonException("A polygon segmentation is a list of [x0, y0, x1, y1, ...] lists.");
            part.Clear();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                part.Add(ReadFiniteNumber(ref reader, "polygon coordinate"));
            parts.Add([.. part]);
        }
        if (parts.Count == 0)
            return null;
        return CocoSegmentation.PolygonProblem(parts) is { } problem ? throw new JsonException(problem) : CocoSegmentation.FromPolygons(parts);
    }

    public static Rle ReadRle(ref Utf8JsonReader reader)
    {
        int[]? size = null;
        string? compressed = null;
        List<uint>? uncompressed = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string name = reader.GetString()!;
            reader.Read();
            if (name == "size")
                size = JsonSerializer.Deserialize<int[]>(ref reader);
            else if (name == "counts" && reader.TokenType == JsonTokenType.String)
                compressed = reader.GetString();
            else if (name == "counts" && reader.TokenType == JsonTokenType.StartArray)
                uncompressed = ReadRunLengths(ref reader);
            else if (name == "counts")
                throw new JsonException("RLE \"counts\" is a string (compressed) or a list of run lengths.");
            else
                reader.Skip();
        }
        if (size is not { Length: 2 } || size[0] < 0 || size[1] < 0)
            throw new JsonException("An RLE object needs \"size\": [height, width].");
        if (compressed is null && uncompressed is null)
            throw new JsonException("An RLE object needs \"counts\".");
        if (compressed is null)
        {
            uint[] counts = [.. uncompressed!];
            return Rle.Problem(size[0], size[1], counts) is { } problem ? throw new JsonException($"Bad RLE: {problem}") : new Rle(size[0], size[1], counts);
        }
        try
        {
            return Rle.FromCountsString(compressed, size[0], size[1]);
        }
        catch (FormatException e)
        {
            throw new JsonException($"Bad RLE: {e.Message}", e);
        }
    }

    private static List<uint> ReadRunLengths(ref Utf8JsonReader reader)
    {
        var counts = new List<uint>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt32(out uint count))
                throw new JsonException("RLE run lengths are whole numbers from 0 to 4294967295.");
            counts.Add(count);
        }
        return counts;
    }

    private static double ReadFiniteNumber(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out double value) || !double.IsFinite(value))
            throw new JsonException($"A {what} must be a finite number.");
        return value;
    }

    /// <summary>Nothing serializes segmentations through these options; results files go through <see cref="WriteRle"/>.</summary>
    public override void Write(Utf8JsonWriter writer, CocoSegmentation value, JsonSerializerOptions options) =>
        throw new NotSupportedException("CocoSegmentation is read-only JSON; CocoResults writes masks.");

    public static void WriteRle(Utf8JsonWriter writer, Rle mask)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("size");
        writer.WriteNumberValue(mask.Height);
        writer.WriteNumberValue(mask.Width);
        writer.WriteEndArray();
        writer.WriteString("counts", mask.ToCountsString());
        writer.WriteEndObject();
    }
}

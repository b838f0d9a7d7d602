using System.Text.Json;
using DctNet.Frequency.IO;

namespace DctNet.Detection.Coco;

/// <summary>
/// One detection of a COCO results file: a box (<c>bbox</c> results), a mask (<c>segm</c> results, compressed RLE at
/// the image's size) or both, as Mask R-CNN writes them.
/// </summary>
public sealed record CocoDetection(long ImageId, int CategoryId, double Score, CocoBox? Box, Rle? Mask);

/// <summary>
/// COCO results files: a JSON list of <c>{"image_id", "category_id", "bbox": [x, y, w, h], "score"}</c> and/or
/// <c>{..., "segmentation": {"size": [h, w], "counts": "..."}, "score"}</c>, the format of the COCO evaluation server
/// and pycocotools' <c>loadRes</c>.
/// </summary>
public static class CocoResults
{
    /// <summary>Reads a results file; an entry without image, category, finite score, or box and mask is refused.</summary>
    public static IReadOnlyList<CocoDetection> Read(string path)
    {
        var entries = CocoJson.Read<List<DetectionJson?>>(path, "a COCO results file (a JSON list of detections)");
        var detections = new CocoDetection[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            DetectionJson entry = entries[i] ?? throw new CocoFormatException(path, $"results[{i}] is null.");
            string name = $"results[{i}]";
            long imageId = entry.ImageId ?? throw new CocoFormatException(path, $"{name}: missing \"image_id\".");
            int categoryId = entry.CategoryId ?? throw new CocoFormatException(path, $"{name}: missing \"category_id\".");
            double score = entry.Score ?? throw new CocoFormatException(path, $"{name}: missing \"score\".");
            if (!double.IsFinite(score))
                throw new CocoFormatException(path, $"{name}: score is not a finite number.");
            // pycocotools treats "bbox": [] as no box.
            CocoBox? box = entry.Bbox switch
            {
                null or [] => null,
                [var x, var y, var w, var h] when double.IsFinite(x) && double.IsFinite(y) && double.IsFinite(w) && double.IsFinite(h) => new CocoBox(x, y, w, h),
                _ => throw new CocoFormatException(path, $"{name}: bbox is not 4 finite numbers (x, y, width, height)."),
            };
            Rle? mask = entry.Segmentation switch
            {
                null => null,
                { Mask: { } rle } => rle,
                _ => throw new CocoFormatException(path, $"{name}: a result's segmentation must be an RLE object, not polygons."),
            };
            if (box is null && mask is null)
                throw new CocoFormatException(path, $"{name}: neither \"bbox\" nor \"segmentation\".");
            detections[i] = new CocoDetection(imageId, categoryId, score, box, mask);
        }
        return detections;
    }

    /// <summary>Writes a results file atomically (a temporary file renamed over <paramref name="path"/>).</summary>
    public static void Write(string path, IEnumerable<CocoDetection> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new Utf8JsonWriter(stream);
            writer.WriteStartArray();
            foreach (CocoDetection detection in detections)
            {
                if (detection.Box is null && detection.Mask is null)
                    throw new ArgumentException($"A detection on image {detection.ImageId} has neither box nor mask.", nameof(detections));
                if (!double.IsFinite(detection.Score))
                    throw new ArgumentException($"A detection on image {detection.ImageId} has score {detection.Score}.", nameof(detections));
                writer.WriteStartObject();
                writer.WriteNumber("image_id", detection.ImageId);
                writer.WriteNumber("category_id", detection.CategoryId);
                if (detection.Box is { } box)
                {
                    writer.WriteStartArray("bbox");
                    writer.WriteNumberValue(box.X);
                    writer.WriteNumberValue(box.Y);
                    writer.WriteNumberValue(box.Width);
                    writer.WriteNumberValue(box.Height);
                    writer.WriteEndArray();
                }
                if (detection.Mask is { } mask)
                {
                    writer.WritePropertyName("segmentation");
                    CocoSegmentationConverter.WriteRle(writer, mask);
                }
                writer.WriteNumber("score", detection.Score);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        });
    }

    private sealed class DetectionJson
    {
        public long? ImageId { get; set; }
        public int? CategoryId { get; set; }
        public double[]? Bbox { get; set; }
        public CocoSegmentation? Segmentation { get; set; }
        public double? Score { get; set; }
    }
}

using System.Text.Json;
using DctNet.Detection.Coco;

namespace DctNet.Detection.Training;

/// <summary>
/// One line of a detection run's metrics.jsonl: the epoch's mean loss terms over its steps (torchvision's names),
/// the validation set's COCO metrics (the twelve numbers of <c>dctnet coco-eval</c>, fractions in [0, 1], -1 where a
/// range holds no object), the rate of the epoch's last step and the training speed.
/// </summary>
/// <param name="Epoch">One-based.</param>
/// <param name="Losses">Mean of each loss term over the epoch's steps, by name; <see cref="Loss"/> is their sum.</param>
/// <param name="Skipped">Training and validation images that could not be read in this epoch.</param>
/// <param name="Segm">Mask R-CNN with segmentations in the validation annotations; null otherwise.</param>
public sealed record DetectionEpochMetrics(
    int Epoch,
    IReadOnlyDictionary<string, double> Losses,
    double LearningRate,
    double ImagesPerSecond,
    int Skipped,
    IReadOnlyList<double> Bbox,
    IReadOnlyList<double>? Segm)
{
    public double Loss => Losses.Values.Sum();

    /// <summary>The box AP at IoU 0.5:0.95, the run's measure of the best epoch.</summary>
    public double BboxAp => Bbox[0];

    public string ToJsonLine()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("epoch", Epoch);
            json.WriteNumber("loss", Loss);
            foreach (var (name, value) in Losses)
                json.WriteNumber(name, value);
            json.WriteNumber("lr", LearningRate);
            json.WriteNumber("images_per_s", ImagesPerSecond);
            json.WriteNumber("skipped", Skipped);
            WriteStats(json, "bbox", Bbox);
            if (Segm is not null)
                WriteStats(json, "segm", Segm);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The metrics of a line, or null for a line a killed process left half written.</summary>
    public static DetectionEpochMetrics? TryParse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var losses = root.EnumerateObject().Where(p => p.Name.StartsWith("loss_", StringComparison.Ordinal))
                .ToDictionary(p => p.Name, p => p.Value.GetDouble());
            return new DetectionEpochMetrics(root.GetProperty("epoch").GetInt32(), losses, root.GetProperty("lr").GetDouble(),
                root.GetProperty("images_per_s").GetDouble(), root.GetProperty("skipped").GetInt32(), ReadStats(root.GetProperty("bbox")),
                root.TryGetProperty("segm", out var segm) ? ReadStats(segm) : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static void WriteStats(Utf8JsonWriter json, string name, IReadOnlyList<double> stats)
    {
        json.WriteStartObject(name);
        for (int i = 0; i < CocoEvaluation.StatNames.Count; i++)
            json.WriteNumber(CocoEvaluation.StatNames[i], stats[i]);
        json.WriteEndObject();
    }

    private static double[] ReadStats(JsonElement element) => [.. CocoEvaluation.StatNames.Select(name => element.GetProperty(name).GetDouble())];
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace DctNet.Training;

/// <summary>One line of a classification run's metrics.jsonl: an epoch's training and validation figures (accuracies in percent).</summary>
/// <param name="Epoch">One-based.</param>
/// <param name="LearningRate">The rate of the epoch's last batch.</param>
/// <param name="ImagesPerSecond">Training images per second of the training pass (loading, forward, backward, update).</param>
/// <param name="LoaderImagesPerSecond">What the loader delivers alone (decode + augmentation on the run's threads), measured once per process.</param>
/// <param name="Skipped">Unreadable images skipped in this epoch, training and validation together.</param>
/// <param name="ChannelsOn">Gated runs: the mean number of input channels on per training sample.</param>
public sealed record ClassificationEpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainTop1,
    double ValLoss,
    double ValTop1,
    double ValTop5,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("images_per_s")] double ImagesPerSecond,
    [property: JsonPropertyName("loader_images_per_s")] double LoaderImagesPerSecond,
    int Skipped,
    double? ChannelsOn)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // An untrained deep network can overflow the validation loss to infinity in its first epoch (resnet101-dct-s2
        // at crop 64 did); it is recorded as "Infinity", which Python's json also reads, instead of failing the run.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJsonLine() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The metrics of a line, or null for a line a killed process left half written.</summary>
    public static ClassificationEpochMetrics? TryParse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<ClassificationEpochMetrics>(line, JsonOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Where a run (classification or detection) is inside an epoch, for progress displays.</summary>
/// <param name="Phase">"train" or "val".</param>
/// <param name="RunningLoss">Mean loss over the phase's samples so far; null where the phase has none (detection's validation).</param>
public sealed record TrainingProgress(int Epoch, string Phase, int Processed, int Total, double? RunningLoss);

/// <summary>The loss became NaN or infinite; the run directory still holds the last complete epoch.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>An unreadable image in a strict run, or a dataset that cannot be trained on.</summary>
public sealed class TrainingDataException(string message) : Exception(message);

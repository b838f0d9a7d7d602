using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Frequency.Channels;

/// <summary>
/// The per-channel mean and standard deviation of the raw DCT input (all 192 channels, no normalization) over image
/// files, as the statistics file that DCT models normalize with. Each image goes through the validation input of
/// <see cref="Pipeline"/> at <see cref="Geometry"/> (<see cref="DctFileTransform.StatisticsSample"/>) and is reduced on a
/// worker thread into an accumulator of its own, then merged in file order (<see cref="FolderPass"/>), so the file is the
/// same bit for bit whatever the thread count.
/// </summary>
/// <param name="Statistics">Over the images that were read.</param>
/// <param name="Failures">The files that could not be read, in file order; they are not counted.</param>
public sealed record DatasetStatistics(DctPipeline Pipeline, CropGeometry Geometry, ChannelStatisticsAccumulator Statistics, IReadOnlyList<SkippedFile> Failures)
{
    /// <param name="failed">Called on a worker thread as a file fails.</param>
    /// <param name="progress">Called with the number of files finished, failed ones included.</param>
    /// <exception cref="OperationCanceledException">Cancelled before every file was read.</exception>
    public static DatasetStatistics Measure(IReadOnlyList<string> files, DctPipeline pipeline, CropGeometry geometry, ImageDecoder decoder, int threads,
        Action<SkippedFile>? failed = null, Action<int>? progress = null, CancellationToken cancellation = default)
    {
        var transform = new DctFileTransform(pipeline, geometry, ChannelSubset.All, statistics: null, decoder);
        var total = new ChannelStatisticsAccumulator();
        var pass = new FolderPass(files, threads) { Failed = failed, Progress = progress };
        pass.Run(() => 0, (_, index) =>
        {
            var image = new ChannelStatisticsAccumulator();
            image.Add<float>(transform.StatisticsSample(files[index]));
            return image;
        }, total.Merge, cancellation);
        cancellation.ThrowIfCancellationRequested();
        return new DatasetStatistics(pipeline, geometry, total, pass.Failures);
    }

    /// <summary>
    /// Writes the statistics file (<see cref="ChannelStatisticsAccumulator.WriteJson"/>) with how the data was read:
    /// the channel subset it is meant for, the geometry and, when given, the files that failed.
    /// </summary>
    /// <param name="failedFiles">Every file left out, those of the walk included; null writes no failure fields.</param>
    public void Save(string path, string source, ChannelSubset channels, IReadOnlyList<string>? failedFiles = null)
    {
        var details = new Dictionary<string, object?>();
        if (failedFiles is not null)
        {
            details["failures"] = failedFiles.Count;
            details["failed_files"] = failedFiles;
        }
        details["channels"] = channels.Name;
        details["pipeline"] = DctFileTransform.Name(Pipeline);
        details["resize"] = Geometry.Resize;
        details["crop"] = Geometry.Crop;
        details["values_per_channel"] = Statistics.ValuesPerChannel;
        Statistics.WriteJson(path, source, details);
    }
}

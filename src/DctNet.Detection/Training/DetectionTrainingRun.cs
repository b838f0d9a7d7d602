using System.Diagnostics;
using DctNet.Checkpoints;
using DctNet.Data;
using DctNet.Detection.Coco;
using DctNet.Detection.Data;
using DctNet.Detection.Inference;
using DctNet.Detection.Modeling;
using DctNet.Detection.Structures;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Detection;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;
using DctNet.Inference;
using DctNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Training;

/// <summary>
/// A detection training run in its <see cref="RunLedger"/>, as classification's <see cref="TrainingRun"/>: best by
/// validation box AP (its best <see cref="DetectionCheckpoint"/> is what a detector loads from the run directory),
/// <see cref="DetectionEpochMetrics"/> lines in metrics.jsonl, curves.png redrawn by <see cref="DetectionCurves"/>; a -dct
/// run's state also records its input statistics, so that a resume needs neither the statistics file nor the starting weights.
/// The batch order, the flips and the samplers' draws derive from the seed and the epoch alone
/// (<see cref="SeededStreams"/>) and the learning rate from the step, so a resumed run repeats the uninterrupted one.
/// Fresh layers draw from libtorch's global generator, seeded at the start: a thread drawing from it meanwhile (another
/// model being built) changes them.
/// </summary>
public sealed class DetectionTrainingRun : IDisposable
{
    private static readonly RunKind Kind = new("detection training", "dctnet_detection_training", "best_bbox_ap");

    private readonly GeneralizedRCNN model;
    private readonly DetectionCheckpointMetadata metadata;
    private readonly CocoDetectionSet trainSet;
    private readonly CocoDetectionSet valSet;
    private readonly MomentumSgd optimizer;
    private readonly DetectionLearningRate schedule;
    private readonly ImageDecoder decoder = new();
    private readonly Device device;
    private readonly bool[] landscape;
    private readonly RunLedger ledger;
    private readonly IEpochHook<DetectionEpochMetrics>[] hooks;

    private DetectionTrainingRun(DetectionTrainingOptions options, RunLedger ledger, GeneralizedRCNN model, DetectionCheckpointMetadata metadata,
        CocoDetectionSet trainSet, CocoDetectionSet valSet, string? initialization)
    {
        Options = options;
        this.ledger = ledger;
        this.model = model;
        this.metadata = metadata;
        this.trainSet = trainSet;
        this.valSet = valSet;
        Initialization = initialization;
        device = ComputeDevice.Parse(options.Device);
        model.SetTrainableBackboneLayers(options.TrainableBackboneLayers);
        model.RoIHeads.SampledRoIsPerImage = options.RoIsPerImage;
        model.to(device);
        // Detection recipes (mmdetection's, torchvision's references) decay every parameter, biases included.
        optimizer = new MomentumSgd(model, options.Momentum, nesterov: false, options.WeightDecay, decays: _ => true);
        schedule = new DetectionLearningRate(options.LearningRate, options.EffectiveDecayEpochs, options.WarmupIterations, options.WarmupRatio);
        landscape = [.. trainSet.Images.Select(image => image.IsLandscape)];
        BatchesPerEpoch = AspectRatioBatches.Count(landscape, options.BatchSize);
        hooks = [new DetectionCurves(Directory, $"{options.Model} - {Path.GetFileName(Path.GetFullPath(Directory))}")];
    }

    public DetectionTrainingOptions Options { get; }
    public RunLedger Ledger => ledger;
    public string Directory => ledger.Directory;
    public GeneralizedRCNN Model => model;
    public DetectionCheckpointMetadata Metadata => metadata;
    public DetectionSetSummary TrainingSummary => trainSet.Summary;
    public DetectionSetSummary ValidationSummary => valSet.Summary;
    public int TrainingImages => trainSet.Images.Count;
    public int ValidationImages => valSet.Images.Count;
    public int BatchesPerEpoch { get; }

    /// <summary>What the starting weights were (<see cref="DetectionInitialization.Apply"/>); null for a fresh or resumed model.</summary>
    public string? Initialization { get; }

    /// <exception cref="ArgumentException">Invalid options or run directory.</exception>
    /// <exception cref="CocoFormatException">A malformed annotation file.</exception>
    /// <exception cref="DetectionDataException">Images or annotations that cannot be trained on.</exception>
    /// <exception cref="CheckpointException">Starting weights that cannot be read or do not fit.</exception>
    /// <exception cref="IOException">Another process holds the directory (<see cref="RunDirectoryLock"/>), or it cannot be written.</exception>
    public static DetectionTrainingRun Start(DetectionTrainingOptions options, string directory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return RunLedger.Start(directory, Kind, options, claim => Open(options, claim, initialize: true));
    }

    /// <summary>Continues the run in <paramref name="directory"/> after its last committed epoch.</summary>
    /// <exception cref="CheckpointException">The run directory's files are missing, hold options no run can use, or do not fit the model.</exception>
    /// <exception cref="IOException">Another process holds the directory (<see cref="RunDirectoryLock"/>), or it cannot be written.</exception>
    public static DetectionTrainingRun Resume(string directory)
        => RunLedger.Resume(directory, Kind, DetectionTrainingOptions.FromJson,
            (options, ledger) => Open(options, () => ledger, initialize: !ledger.HasCommit, ledger.Committed<InputStatistics>()?.Statistics()),
            run => run.ledger.Restore(run.model, run.optimizer, line => DetectionEpochMetrics.TryParse(line)?.Epoch));

    /// <param name="claim">Claims the run directory; called once the data and the starting weights are known good, so
    /// that a refused command leaves no directory behind (<see cref="RunLedger.Start{TRun}"/>).</param>
    /// <param name="statistics">A resumed DCT run's normalization, as its state recorded it; resolved afresh when null.</param>
    private static DetectionTrainingRun Open(DetectionTrainingOptions options, Func<RunLedger> claim, bool initialize, ChannelStatistics? statistics = null)
    {
        var definition = DetectionModels.All.Get(options.Model);
        var trainSet = CocoDetectionSet.Open(options.Data, options.Annotations, training: true, masks: definition.Masks, options.Strict);
        var valSet = CocoDetectionSet.Open(options.ValData, options.ValAnnotations, training: false, masks: false, options.Strict);
        var categories = trainSet.Dataset.Categories;
        if (!categories.Select(c => c.Id).SequenceEqual(valSet.Dataset.Categories.Select(c => c.Id)))
            throw new DetectionDataException($"{options.ValAnnotations}: its category ids differ from those of {options.Annotations}; "
                + "a model's labels mean the same categories in both.");
        ChannelSubset? channels = options.Channels is { } given ? ChannelSubset.Parse(given) : null;
        if (options.Stats is not null && !definition.TakesDct)
            throw new ArgumentException($"DCT channel statistics are for DCT models; {definition.Name} normalizes RGB with ImageNet's mean and std.");
        string? initPath = initialize && options.Init is { } init ? RunDirectory.ResolveWeights(init) : null;
        var initWeights = initPath is null ? null : WeightsFile.Read(initPath);
        if (definition.TakesDct)
            statistics ??= StatisticsFor(options, initWeights, initPath);
        var held = claim();
        set_num_threads(options.Threads);
        // The fresh weights are drawn from libtorch's generator: seeding it makes them a function of the seed.
        manual_seed(options.Seed);
        var model = DetectionModels.Create(definition.Name, categories.Count + 1, channels: channels, scale: options.Scale, statistics: statistics);
        try
        {
            string? initialization = initWeights is null ? null : DetectionInitialization.Apply(model, initWeights.Weights, initPath!);
            var metadata = new DetectionCheckpointMetadata(definition.Name, categories, model.Input.Channels, options.Scale, model.Input.Statistics);
            return new DetectionTrainingRun(options, held, model, metadata, trainSet, valSet, initialization);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A DCT model's normalization: the statistics file, else the statistics the starting weights were trained with (a
    /// DctNet detection checkpoint's, the release's COCO ones for its mmdetection v1 files), else the release's ImageNet ones.
    /// </summary>
    private static ChannelStatistics StatisticsFor(DetectionTrainingOptions options, WeightsFileContents? init, string? initPath)
    {
        if (options.Stats is { } path)
            return ChannelStatistics.Load(path);
        if (init is null)
            return ChannelStatistics.ImageNet;
        return DetectionCheckpoint.MetadataOf(init, initPath!)?.Statistics
            ?? (MmdetV1Weights.Recognizes(init.Weights) ? MmdetV1Weights.CocoStatistics : ChannelStatistics.ImageNet);
    }

    /// <summary>Trains the next epoch, evaluates it on the validation set and commits it to the run directory.</summary>
    /// <param name="skipped">Called for each unreadable image (unless the run is strict, which throws instead).</param>
    /// <exception cref="OperationCanceledException">Cancelled: the epoch is abandoned, the directory keeps the last complete one.</exception>
    /// <exception cref="TrainingDivergedException">A NaN or infinite loss; nothing of this epoch is written.</exception>
    /// <exception cref="TrainingDataException">An unreadable image in a strict run, or no readable image at all.</exception>
    public DetectionEpochMetrics RunEpoch(Action<TrainingProgress>? progress = null, Action<LoadFailure>? skipped = null, CancellationToken cancellation = default)
    {
        var skips = ledger.BeginEpoch(skipped);
        int epoch = ledger.CompletedEpochs;
        var (losses, learningRate, imagesPerSecond) = Train(epoch, progress, skips.Skip, cancellation);
        var (bbox, segm) = Validate(epoch, progress, skips.Skip, cancellation);
        var metrics = new DetectionEpochMetrics(epoch + 1, losses, learningRate, imagesPerSecond, skips.Count, bbox, segm);
        var weights = ModuleState.Capture(model);
        var statistics = model.Input.Statistics;
        ledger.Commit(weights, optimizer, new DetectionCheckpoint(metadata, weights).Save, metrics.BboxAp, metrics.ToJsonLine(),
            new InputStatistics(statistics?.Mean.ToArray(), statistics?.Std.ToArray()));
        foreach (var hook in hooks)
            hook.AfterEpoch(metrics);
        return metrics;
    }

    private (Dictionary<string, double> Losses, double LearningRate, double ImagesPerSecond) Train(
        int epoch, Action<TrainingProgress>? progress, Action<LoadFailure> skip, CancellationToken cancellation)
    {
        model.train();
        var batches = AspectRatioBatches.Create(landscape, Options.BatchSize, SeededStreams.BatchOrder(Options.Seed, epoch));
        using var generator = new Generator(SeededStreams.TorchSeed(Options.Seed, epoch));
        var permutation = BalancedPositiveNegativeSampler.Random(generator);
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        int steps = 0, seen = 0;
        double learningRate = 0;
        var clock = Stopwatch.StartNew();
        Task<LoadedBatch>? next = batches.Count > 0 ? LoadAsync(batches[0], epoch, cancellation) : null;
        for (int index = 0; index < batches.Count; index++)
        {
            var batch = next!.GetAwaiter().GetResult();
            next = index + 1 < batches.Count ? LoadAsync(batches[index + 1], epoch, cancellation) : null;
            foreach (var failure in batch.Failures)
                skip(failure);
            learningRate = schedule.At(epoch, (long)epoch * BatchesPerEpoch + index);
            if (batch.Samples.Count == 0)
                continue;
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var losses = Losses(batch.Samples, permutation);
            var total = losses.Total();
            float value = total.item<float>();
            if (!float.IsFinite(value))
                throw ledger.Diverged(value, $"step {index + 1} of {batches.Count}", learningRate, "try a lower learning rate or a longer warm-up");
            total.backward();
            if (Options.ClipGradientNorm > 0)
                nn.utils.clip_grad_norm_(optimizer.Parameters.Where(p => p.grad is not null), Options.ClipGradientNorm);
            optimizer.Step(learningRate);
            foreach (var (name, term) in losses.Terms)
                sums[name] = sums.GetValueOrDefault(name) + term.item<float>();
            steps++;
            seen += batch.Samples.Count;
            progress?.Invoke(new TrainingProgress(epoch + 1, "train", seen, trainSet.Images.Count, sums.Values.Sum() / steps));
        }
        if (steps == 0)
            throw new TrainingDataException($"{Options.Data}: no training image could be read.");
        return (sums.ToDictionary(entry => entry.Key, entry => entry.Value / steps), learningRate, seen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
    }

    /// <summary>The loss terms of one batch: the prepared images, and the targets in the images' coordinates, which the model's input moves into its batch.</summary>
    private DetectionLosses Losses(IReadOnlyList<LoadedSample> samples, Permutation permutation)
    {
        var targets = new List<DetectionTarget>();
        foreach (var example in samples.Select(sample => sample.Example))
        {
            var masks = example.Masks is null ? null : tensor(example.Masks, [example.Count, example.Image.Height, example.Image.Width], device: device);
            targets.Add(new DetectionTarget(tensor(example.Boxes, [example.Count, 4], device: device), tensor(example.Labels, device: device), masks));
        }
        return model.Losses([.. samples.Select(sample => sample.Image)], targets, permutation, device);
    }

    private sealed record LoadedSample(DetectionExample Example, PreparedImage Image);

    private sealed record LoadedBatch(IReadOnlyList<LoadedSample> Samples, IReadOnlyList<LoadFailure> Failures);

    /// <summary>Decodes a batch's images, rasterizes their masks and prepares them as the model's input (a -dct model's DCT inputs), off the training thread.</summary>
    private Task<LoadedBatch> LoadAsync(int[] indices, int epoch, CancellationToken cancellation) => Task.Run(() =>
    {
        cancellation.ThrowIfCancellationRequested();
        var samples = new LoadedSample?[indices.Length];
        var failures = new LoadFailure?[indices.Length];
        Parallel.For(0, indices.Length, new ParallelOptions { MaxDegreeOfParallelism = Options.Threads, CancellationToken = cancellation }, i =>
        {
            int index = indices[i];
            bool flip = Options.Flip && SeededStreams.Augmentation(Options.Seed, epoch, index).NextDouble() < 0.5;
            try
            {
                var example = trainSet.Load(index, decoder);
                samples[i] = new LoadedSample(example, model.Input.Prepare(example.Image, flip));
            }
            catch (ImageDecodeException e)
            {
                failures[i] = new LoadFailure(trainSet.Images[index].Path, e.Problem);
            }
        });
        return new LoadedBatch([.. samples.OfType<LoadedSample>()], [.. failures.OfType<LoadFailure>()]);
    }, cancellation);

    /// <summary>COCO evaluation of the validation images (all detections, at most 100 per image, as the metrics expect).</summary>
    private (double[] Bbox, double[]? Segm) Validate(int epoch, Action<TrainingProgress>? progress, Action<LoadFailure> skip, CancellationToken cancellation)
    {
        var detector = new ImageDetector(model, device);
        var dataset = valSet.Dataset;
        var detections = new List<CocoDetection>();
        var evaluated = new List<CocoImage>();
        for (int i = 0; i < valSet.Images.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var entry = valSet.Images[i];
            try
            {
                var example = valSet.Load(i, decoder);
                foreach (var found in detector.Detect(example.Image, minimumScore: 0))
                    detections.Add(found.ToCoco(entry.Image.Id, dataset.CategoryIdOf(found.Label)));
                evaluated.Add(entry.Image);
            }
            catch (ImageDecodeException e)
            {
                skip(new LoadFailure(entry.Path, e.Problem));
            }
            progress?.Invoke(new TrainingProgress(epoch + 1, "val", i + 1, valSet.Images.Count, null));
        }
        if (evaluated.Count == 0)
            throw new TrainingDataException($"{Options.ValData}: no validation image could be read.");
        if (evaluated.Count < dataset.Images.Count)
        {
            // Unreadable images are left out of the evaluation rather than counted as missed objects.
            var ids = evaluated.Select(image => image.Id).ToHashSet();
            dataset = new CocoDataset(evaluated, dataset.Categories, dataset.Annotations.Where(a => ids.Contains(a.ImageId)), dataset.Source);
        }
        var bbox = CocoEvaluator.Evaluate(dataset, detections, CocoIouType.Bbox).Stats.ToArray();
        double[]? segm = model.RoIHeads.HasMasks && dataset.AnnotationsWithoutSegmentation == 0
            ? CocoEvaluator.Evaluate(dataset, detections, CocoIouType.Segm).Stats.ToArray()
            : null;
        return (bbox, segm);
    }

    /// <summary>The epochs of a run's metrics.jsonl; lines a killed process left half written are skipped.</summary>
    public static IReadOnlyList<DetectionEpochMetrics> ReadMetrics(string path)
        => File.Exists(path) ? [.. File.ReadLines(path).Select(DetectionEpochMetrics.TryParse).OfType<DetectionEpochMetrics>()] : [];

    /// <summary>What a detection run adds to its committed state.</summary>
    /// <param name="StatisticsMean">-dct models: the normalization the run trains with, so that a resume needs neither the statistics file nor the starting weights.</param>
    private sealed record InputStatistics(double[]? StatisticsMean, double[]? StatisticsStd)
    {
        public ChannelStatistics? Statistics() => StatisticsMean is { } mean && StatisticsStd is { } std ? new ChannelStatistics(mean, std) : null;
    }

    /// <summary>Frees the model and releases the run directory to other processes.</summary>
    public void Dispose()
    {
        optimizer.Dispose();
        model.Dispose();
        ledger.Dispose();
    }
}

using System.Diagnostics;
using DctNet.Checkpoints;
using DctNet.Data;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;
using DctNet.Inference;
using DctNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Training;

/// <summary>A model to train, with what its checkpoints record and the input it is trained on.</summary>
public sealed record TrainableModel(nn.Module<Tensor, Tensor> Module, CheckpointMetadata Metadata, TrainingInput Input)
{
    /// <summary>The registry's model for the options, <paramref name="classes"/> outputs, freshly initialized from libtorch's current generator.</summary>
    public static TrainableModel FromRegistry(TrainingOptions options, int classes)
    {
        var definition = ModelRegistry.Get(options.Model);
        var geometry = options.Geometry(definition.DefaultInput.Geometry);
        var asked = new InputRequest(options.Channels is { } given ? ChannelSubset.Parse(given) : null, geometry,
            options.Stats is { } stats ? ChannelStatistics.Load(stats) : null, options.Pipeline is null ? null : options.DctPipeline);
        var input = definition.ResolveInput(asked, gate: options.Gate);
        var channels = (input as DctInput)?.Channels;
        var module = definition.Create(channels, classes, options.Gate);
        var metadata = new CheckpointMetadata
        {
            Model = definition.Name,
            Classes = classes,
            Channels = channels,
            Normalization = input.Normalization,
            Layer2Stride = module is ResNetDct resnet ? resnet.Layer2Stride : null,
            Geometry = geometry,
            Pipeline = (input as DctInput)?.Pipeline ?? DctPipeline.Exact,
        };
        return new TrainableModel(module, metadata, TrainingInput.For(input));
    }
}

/// <summary>
/// A classification training run in its <see cref="RunLedger"/>: SGD epochs over <c>Data/train</c>, validation on
/// <c>Data/val</c>, best by validation top-1, <see cref="ClassificationEpochMetrics"/> lines in metrics.jsonl, and
/// <see cref="CurvesHook"/> and <see cref="TensorBoardHook"/> after each commit. The learning rate, the sample order, the
/// augmentation and the gate's noise derive from the seed and the epoch alone (<see cref="SeededStreams"/>), so a
/// resumed run repeats the uninterrupted one.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private static readonly RunKind Kind = new("training", "dctnet_training", "best_val_top1");

    private readonly TrainableModel trainable;
    private readonly ImageFolder trainData;
    private readonly ImageFolder valData;
    private readonly MomentumSgd optimizer;
    private readonly LearningRateSchedule schedule;
    private readonly Device device;
    private readonly RunLedger ledger;
    private readonly IEpochHook<ClassificationEpochMetrics>[] hooks;
    private double? loaderImagesPerSecond;

    private TrainingRun(TrainingOptions options, RunLedger ledger, TrainableModel trainable, ImageFolder trainData, ImageFolder valData)
    {
        Options = options;
        this.ledger = ledger;
        this.trainable = trainable;
        this.trainData = trainData;
        this.valData = valData;
        device = ComputeDevice.Parse(options.Device);
        trainable.Module.to(device);
        ChannelsLast.Convert(trainable.Module);
        optimizer = new MomentumSgd(trainable.Module, options.Momentum, options.Nesterov, options.WeightDecay);
        schedule = new LearningRateSchedule(options.LearningRate, options.Schedule, options.Epochs, options.WarmupEpochs);
        hooks = [new CurvesHook(Directory, $"{options.Model} - {Directory}"), new TensorBoardHook(Directory)];
    }

    public TrainingOptions Options { get; }
    public RunLedger Ledger => ledger;
    public string Directory => ledger.Directory;
    public nn.Module<Tensor, Tensor> Model => trainable.Module;
    public CheckpointMetadata Metadata => trainable.Metadata;
    public int TrainingSamples => trainData.Samples.Count;

    /// <summary>Entries of the dataset's folders that are not images to read (FIFOs, devices, dangling links, names that are not UTF-8): never opened, never trained on.</summary>
    public IReadOnlyList<SkippedFile> SkippedFiles => [.. trainData.Skipped, .. valData.Skipped];
    public int ValidationSamples => valData.Samples.Count;

    /// <summary>Starts a run of a registry model in a new (or empty) run directory.</summary>
    public static TrainingRun Start(TrainingOptions options, string directory) => Start(options, directory, TrainableModel.FromRegistry);

    /// <summary>Starts a run of the model <paramref name="build"/> makes (for the options and the class count) in a new (or empty) run directory.</summary>
    /// <exception cref="ArgumentException">Invalid options, datasets or run directory.</exception>
    /// <exception cref="IOException">Another process holds the directory (<see cref="RunDirectoryLock"/>), or it cannot be written.</exception>
    public static TrainingRun Start(TrainingOptions options, string directory, Func<TrainingOptions, int, TrainableModel> build)
    {
        options.Validate();
        var (trainData, valData) = OpenData(options);
        return RunLedger.Start(directory, Kind, options, claim => Open(options, claim, build, trainData, valData, initialize: true));
    }

    /// <summary>Continues the registry-model run in <paramref name="directory"/> after its last committed epoch.</summary>
    public static TrainingRun Resume(string directory) => Resume(directory, TrainableModel.FromRegistry);

    /// <exception cref="CheckpointException">The run directory's files are missing, hold options no run can use, or do not fit the model.</exception>
    /// <exception cref="IOException">Another process holds the directory (<see cref="RunDirectoryLock"/>), or it cannot be written.</exception>
    public static TrainingRun Resume(string directory, Func<TrainingOptions, int, TrainableModel> build)
        => RunLedger.Resume(directory, Kind, TrainingOptions.FromJson, (options, ledger) =>
        {
            var (trainData, valData) = OpenData(options);
            return Open(options, () => ledger, build, trainData, valData, initialize: !ledger.HasCommit);
        }, run => run.ledger.Restore(run.Model, run.optimizer, line => ClassificationEpochMetrics.TryParse(line)?.Epoch));

    private static (ImageFolder Train, ImageFolder Val) OpenData(TrainingOptions options)
    {
        var trainData = ImageFolder.Open(Path.Combine(options.Data, "train"));
        var valData = ImageFolder.Open(Path.Combine(options.Data, "val"));
        if (!trainData.Classes.Names.SequenceEqual(valData.Classes.Names))
            throw new ArgumentException($"{options.Data}: train and val have different class folders.");
        return (trainData, valData);
    }

    /// <param name="claim">Claims the run directory; called once the model is built and its starting weights and
    /// statistics are loaded, so that a refused command leaves no directory behind (<see cref="RunLedger.Start{TRun}"/>).</param>
    private static TrainingRun Open(TrainingOptions options, Func<RunLedger> claim, Func<TrainingOptions, int, TrainableModel> build,
        ImageFolder trainData, ImageFolder valData, bool initialize)
    {
        set_num_threads(options.Threads);
        // The initialization draws from libtorch's generator: seeding it makes the fresh weights a function of the seed.
        manual_seed(options.Seed);
        var trainable = build(options, trainData.Classes.Count);
        try
        {
            if (initialize && options.Init is { } init)
                Initialize(trainable.Module, init);
            return new TrainingRun(options, claim(), trainable, trainData, valData);
        }
        catch
        {
            trainable.Module.Dispose();
            throw;
        }
    }

    /// <summary>A DctNet checkpoint or run directory loads strictly; torchvision RGB weights start a DCT ResNet as the release does.</summary>
    private static void Initialize(nn.Module<Tensor, Tensor> module, string init)
    {
        string path = RunDirectory.ResolveWeights(init);
        var contents = WeightsFile.Read(path);
        if (contents.Metadata is null && module is ResNetDct resnet && contents.Weights.Keys.Any(key => key.StartsWith("layer1.", StringComparison.Ordinal)))
            RgbPretrainedInitialization.Initialize(resnet, contents.Weights, path);
        else
            ModuleState.Load(module, contents.Weights, path);
    }

    /// <summary>
    /// Trains and validates the next epoch and commits it to the run directory.
    /// </summary>
    /// <param name="skipped">Called for each unreadable image (unless the run is strict, which throws instead).</param>
    /// <exception cref="OperationCanceledException">Cancelled: the epoch is abandoned, the directory keeps the last complete one.</exception>
    /// <exception cref="TrainingDivergedException">A NaN or infinite loss; nothing of this epoch is written.</exception>
    /// <exception cref="TrainingDataException">An unreadable image in a strict run.</exception>
    public ClassificationEpochMetrics RunEpoch(Action<TrainingProgress>? progress = null, Action<LoadFailure>? skipped = null, CancellationToken cancellation = default)
    {
        var skips = ledger.BeginEpoch(skipped);
        int epoch = ledger.CompletedEpochs;
        loaderImagesPerSecond ??= MeasureLoader(cancellation);
        var (trainLoss, trainTop1, learningRate, imagesPerSecond, channelsOn) = Train(epoch, progress, skips.Skip, cancellation);
        var (valLoss, valTop1, valTop5) = Validate(epoch, progress, skips.Skip, cancellation);
        var metrics = new ClassificationEpochMetrics(epoch + 1, trainLoss, trainTop1, valLoss, valTop1, valTop5, learningRate, imagesPerSecond,
            loaderImagesPerSecond.Value, skips.Count, channelsOn);
        var weights = ModuleState.Capture(trainable.Module);
        double score = Options.MayBeBest(epoch + 1) ? metrics.ValTop1 : double.NegativeInfinity;
        ledger.Commit(weights, optimizer, new DctNetCheckpoint(trainable.Metadata, weights).Save, score, metrics.ToJsonLine());
        foreach (var hook in hooks)
            hook.AfterEpoch(metrics);
        return metrics;
    }

    private (double Loss, double Top1, double LearningRate, double ImagesPerSecond, double? ChannelsOn) Train(
        int epoch, Action<TrainingProgress>? progress, Action<LoadFailure> skip, CancellationToken cancellation)
    {
        var model = trainable.Module;
        model.train();
        var gated = Options.Gate ? model as DctModel : null;
        if (gated?.Gate is { } gate)
            gate.NoiseGenerator = new Generator(SeededStreams.TorchSeed(Options.Seed, epoch));
        var recipe = gated is null ? null : Options.GateRecipe;
        if (recipe?.SharpeningAt(epoch, Options.Epochs) is { } sharpening and not 1)
            gated!.Gate!.Sharpen(sharpening);
        var loader = CreateLoader(trainData, TrainingTransform(epoch));
        var order = SeededStreams.SampleOrder(Options.Seed, epoch, trainData.Samples.Count);

        double lossSum = 0, channelsOnSum = 0, learningRate = 0;
        int seen = 0, correct = 0, batchIndex = 0;
        var clock = Stopwatch.StartNew();
        foreach (var batch in loader.Batches(order, cancellation))
        {
            using var _ = batch;
            using var scope = NewDisposeScope();
            foreach (var failure in batch.Failures)
                skip(failure);
            learningRate = schedule.At(epoch, batchIndex, loader.BatchCount);
            double position = epoch + (double)batchIndex / loader.BatchCount;
            batchIndex++;
            if (batch.Count == 0)
                continue;
            optimizer.ZeroGrad();
            var (inputs, labels) = (ChannelsLast.Of(batch.Inputs.to(device)), batch.Labels.to(device));
            Tensor logits, loss;
            if (gated is not null)
            {
                if (recipe is not null)
                    gated.Gate!.Temperature = recipe.Temperature(position, Options.Epochs);
                var output = gated.ForwardWithGates(inputs);
                var channelsPerSample = output.Gates.sum(1).mean();
                logits = output.Logits;
                loss = CrossEntropy(logits, labels, Options.LabelSmoothing).add(GatePenalty(recipe, epoch, position, channelsPerSample, output.GateLogits), HeldScalars.One);
                channelsOnSum += channelsPerSample.item<float>() * batch.Count;
            }
            else
            {
                logits = model.call(inputs);
                loss = CrossEntropy(logits, labels, Options.LabelSmoothing);
            }
            float value = loss.item<float>();
            if (!float.IsFinite(value))
                throw ledger.Diverged(value, $"batch {batchIndex} of {loader.BatchCount}", learningRate, "try a lower learning rate or a warm-up");
            loss.backward();
            if (recipe is null)
            {
                optimizer.Step(learningRate);
            }
            else
            {
                double gateRate = learningRate * recipe.LearningRate / Options.LearningRate;
                optimizer.Step(name => name.StartsWith(WeightsLayout.InputGatePrefix, StringComparison.Ordinal) ? gateRate : learningRate);
            }
            lossSum += (double)value * batch.Count;
            correct += (int)logits.argmax(1).eq(labels).sum().item<long>();
            seen += batch.Count;
            progress?.Invoke(new TrainingProgress(epoch + 1, "train", seen, trainData.Samples.Count, lossSum / seen));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        if (seen == 0)
            throw new TrainingDataException($"{trainData.Root}: no training image could be read.");
        return (lossSum / seen, 100.0 * correct / seen, learningRate, seen / Math.Max(seconds, 1e-9), gated is null ? null : channelsOnSum / seen);
    }

    private (double Loss, double Top1, double Top5) Validate(int epoch, Action<TrainingProgress>? progress, Action<LoadFailure> skip, CancellationToken cancellation)
    {
        var model = trainable.Module;
        model.eval();
        if (model is DctModel { Gate: { } gate })
            gate.NoiseGenerator = new Generator(SeededStreams.TorchSeed(Options.Seed, -1 - epoch));
        var loader = CreateLoader(valData, (path, _, destination) => trainable.Input.Validate(path, destination));
        int k = Math.Min(5, trainable.Metadata.Classes);
        double lossSum = 0;
        int seen = 0, top1 = 0, topK = 0;
        using var noGrad = no_grad();
        foreach (var batch in loader.Batches(cancellation: cancellation))
        {
            using var _ = batch;
            using var scope = NewDisposeScope();
            foreach (var failure in batch.Failures)
                skip(failure);
            if (batch.Count == 0)
                continue;
            var labels = batch.Labels.to(device);
            var logits = model.call(ChannelsLast.Of(batch.Inputs.to(device)));
            lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
            var best = logits.topk(k, dim: 1).indexes;
            var hits = best.eq(labels.unsqueeze(1));
            top1 += (int)hits[.., 0].sum().item<long>();
            topK += (int)hits.any(1).sum().item<long>();
            seen += batch.Count;
            progress?.Invoke(new TrainingProgress(epoch + 1, "val", seen, valData.Samples.Count, lossSum / seen));
        }
        if (seen == 0)
            throw new TrainingDataException($"{valData.Root}: no validation image could be read.");
        return (lossSum / seen, 100.0 * top1 / seen, 100.0 * topK / seen);
    }

    /// <summary>The release's lambda x channels on per sample, or the recipe's penalty once its warm-up is over.</summary>
    private Tensor GatePenalty(GateRecipe? recipe, int epoch, double position, Tensor channelsPerSample, Tensor gateLogits)
    {
        if (recipe is null)
        {
            using var lambda = Options.GateLambda.ToScalar();
            return channelsPerSample.mul(lambda);
        }
        return recipe.Penalizes(epoch) ? recipe.Penalty(gateLogits, Options.GateLambda, position) : zeros_like(channelsPerSample);
    }

    private static Tensor CrossEntropy(Tensor logits, Tensor labels, double labelSmoothing)
        => nn.functional.cross_entropy(logits, labels, label_smoothing: labelSmoothing);

    /// <summary>The training images' transform in <paramref name="epoch"/>: augmented from the sample's seeded stream, or the validation one.</summary>
    private BatchLoader.SampleTransform TrainingTransform(int epoch) => Options.Augment
        ? (path, index, destination) => trainable.Input.Train(path, SeededStreams.Augmentation(Options.Seed, epoch, index), destination)
        : (path, _, destination) => trainable.Input.Validate(path, destination);

    private BatchLoader CreateLoader(ImageFolder data, BatchLoader.SampleTransform transform)
        => new(data.Samples, trainable.Input.Shape, transform, Options.BatchSize, Options.Threads);

    /// <summary>The loader alone over the first few batches of training images (decode + augmentation, nothing else running).</summary>
    private double MeasureLoader(CancellationToken cancellation)
    {
        int count = Math.Min(trainData.Samples.Count, 4 * Options.BatchSize);
        var loader = CreateLoader(trainData, TrainingTransform(-1));
        int delivered = 0;
        var clock = Stopwatch.StartNew();
        foreach (var batch in loader.Batches(Enumerable.Range(0, count).ToArray(), cancellation))
        {
            delivered += batch.Count + batch.Failures.Count;
            batch.Dispose();
        }
        return delivered / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
    }

    /// <summary>Frees the model and releases the run directory to other processes.</summary>
    public void Dispose()
    {
        optimizer.Dispose();
        trainable.Module.Dispose();
        ledger.Dispose();
    }
}

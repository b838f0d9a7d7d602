using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DctNet.Analysis;
using DctNet.Data;
using DctNet.Demo;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Training;
using static TorchSharp.torch;

namespace DctNet.Cli.Demo;

/// <summary>Where a running <see cref="DemoStep"/> is: units done (images) of its <see cref="DemoStep.Total"/>, and what it is doing.</summary>
internal sealed record DemoProgress(int Processed, string Detail);

/// <summary>One step of the demo, run by whoever shows the progress: images to process and the work itself.</summary>
/// <param name="Total">Units of work (images, over all epochs for a training) that <see cref="DemoProgress.Processed"/> counts towards.</param>
internal sealed record DemoStep(string Name, int Total, Func<Action<DemoProgress>, CancellationToken, string> Work)
{
    /// <summary>Runs the step; returns a one-line summary of what it made.</summary>
    /// <param name="progress">Called from the working thread as the step advances.</param>
    /// <exception cref="OperationCanceledException">Cancelled; what the step wrote so far stays, the next demo starts over.</exception>
    public string Run(Action<DemoProgress>? progress = null, CancellationToken cancellation = default) => Work(progress ?? (_ => { }), cancellation);
}

/// <summary>One trained model of the demo as the report's table shows it.</summary>
/// <param name="MacsPerImage">Conv2d and Linear multiply-accumulates for one image (<see cref="ModelInfo"/>).</param>
/// <param name="TrainImagesPerSecond">The median over the epochs of metrics.jsonl's images_per_s (loading, forward, backward, update).</param>
/// <param name="InferenceImagesPerSecond">Forward passes alone (BatchNorms folded, no decoding), <see cref="Timing"/>'s best of 5 batches.</param>
/// <param name="ChannelsOn">The gated model: mean channels on per validation image.</param>
internal sealed record DemoModelResult(string Name, string Model, string Input, string Channels, long MacsPerImage, long Parameters,
    double BestValTop1, double TrainImagesPerSecond, double InferenceImagesPerSecond, double? ChannelsOn);

/// <summary>
/// The project's main job on an embedded default (issue 4), end to end in one output folder:
/// <list type="number">
/// <item>a synthetic ImageFolder (<see cref="SyntheticImages"/>) in <c>data/</c>, and its DCT statistics (<c>data/stats.json</c>);</item>
/// <item>four <see cref="TrainingRun"/>s of one family and budget in <c>runs/</c>: ResNet-18 on RGB at half the image side,
/// ResNet-18-DCT (layer2 stride 2) on DCT-24 of the whole image, the same on all 192 channels behind the input gate, and
/// DCT-24 again on the JPEG pipeline (the files' own coefficients);</item>
/// <item>the gate's selection over the validation images in <c>analysis/</c> (selection.json, heatmap.png, subset.json);</item>
/// <item>the spectral sensitivity of DCT-24 and of the gated model in <c>analysis/sensitivity-NAME/</c>;</item>
/// <item><c>report.md</c>: accuracies, MACs, parameters, training and inference throughput, the curves, the heat map and
/// the regular CLI commands that redo each part.</item>
/// </list>
/// A demo folder is marked by <see cref="MarkerFile"/>; running again over one replaces the demo's own entries and
/// starts over (the dataset is redrawn in seconds, and every figure of the report then comes from one run).
/// It lives in the CLI, not the library, because its report gives the <c>dctnet</c> command lines that redo each part.
/// </summary>
internal sealed class DemoRun
{
    public const string MarkerFile = "demo.json";
    public const string ReportFile = "report.md";
    public const string DataFolder = "data";
    public const string RunsFolder = "runs";
    public const string AnalysisFolder = "analysis";
    public const string StatsFile = "stats.json";
    public const string JpegStatsFile = "jpeg_stats.json";

    private const int TimedInferenceBatches = 20;
    private static readonly string[] OwnEntries = [MarkerFile, ReportFile, DataFolder, RunsFolder, AnalysisFolder];

    private readonly DemoPlan plan;
    private readonly IReadOnlyList<DemoModel> models;
    private readonly Stopwatch clock = new();
    private GateSelection? selection;
    private ChannelSubset? subset;
    private readonly Dictionary<string, SpectralSensitivity> sensitivities = [];

    /// <summary>Images per pass of the sensitivity analysis: the whole validation set of the default plan in 5 batches.</summary>
    private const int SensitivityBatchSize = 32;

    private DemoRun(string output, DemoPlan plan)
    {
        Output = output;
        this.plan = plan;
        var common = new TrainingOptions
        {
            Model = "",
            Data = DataRoot,
            Epochs = plan.Epochs,
            BatchSize = plan.BatchSize,
            LearningRate = plan.LearningRate,
            WarmupEpochs = plan.WarmupEpochs,
            Augment = plan.Augment,
            Seed = plan.Seed,
            Threads = plan.Threads,
        };
        string stats = Path.Combine(DataRoot, StatsFile);
        string jpegStats = Path.Combine(DataRoot, JpegStatsFile);
        // Validation sees the whole image: resize = crop = the side for DCT (no resize), half the side for RGB.
        models =
        [
            new("rgb", $"RGB {plan.RgbCrop}x{plan.RgbCrop}", "RGB",
                common with { Model = "resnet18", Crop = plan.RgbCrop, Resize = plan.RgbCrop }),
            new("dct24", $"DCT {plan.DctCrop / 8}x{plan.DctCrop / 8} blocks of {plan.DctCrop}x{plan.DctCrop}", "DCT-24",
                common with { Model = "resnet18-dct-s2", Channels = "24", Crop = plan.DctCrop, Resize = plan.DctCrop, Stats = stats }),
            new("gated", $"DCT {plan.DctCrop / 8}x{plan.DctCrop / 8} blocks of {plan.DctCrop}x{plan.DctCrop}", "192, gated",
                common with { Model = "resnet18-dct-s2", Channels = "192", Epochs = plan.GatedEpochs, Gate = true, GateLambda = plan.GateLambda, GateRecipe = plan.GateRecipe, Crop = plan.DctCrop, Resize = plan.DctCrop, Stats = stats }),
            new(JpegModelName, $"the files' coefficients, {plan.DctCrop / 8}x{plan.DctCrop / 8} blocks", "DCT-24, jpeg pipeline",
                common with { Model = "resnet18-dct-s2", Channels = "24", Crop = plan.DctCrop, Resize = plan.DctCrop, Stats = jpegStats, Pipeline = "jpeg" }),
        ];
        int trainImages = plan.Dataset.TrainPerClass * SyntheticImages.Classes.Count, valImages = plan.Dataset.ValPerClass * SyntheticImages.Classes.Count;
        Steps =
        [
            new DemoStep("dataset", plan.Dataset.Total, MakeDataset),
            new DemoStep("statistics", 2 * trainImages, MeasureStatistics),
            .. models.Select(model => new DemoStep(model.Name, model.Options.Epochs * (trainImages + valImages), (progress, cancellation) => Train(model, progress, cancellation))),
            new DemoStep("gate selection", valImages, MeasureGateSelection),
            new DemoStep("sensitivity", valImages * SensitivityModels.Sum(name => SensitivityPasses(name)), MeasureSensitivity),
            new DemoStep("report", models.Count + 2, WriteReport),
        ];
    }

    /// <summary>The output folder as given: the report's commands use it as is.</summary>
    public string Output { get; }

    public DemoPlan Plan => plan;

    /// <summary>The steps, to run in order.</summary>
    public IReadOnlyList<DemoStep> Steps { get; }

    public string ReportPath => Path.Combine(Output, ReportFile);

    /// <summary>The table of the report, once the last step has run.</summary>
    public IReadOnlyList<DemoModelResult> Results { get; private set; } = [];

    private string DataRoot => Path.Combine(Output, DataFolder);

    private string RunDirectory(DemoModel model) => Path.Combine(Output, RunsFolder, model.Name);

    private string AnalysisRoot => Path.Combine(Output, AnalysisFolder);

    /// <summary>Checks the plan and the output folder; nothing is written until the first step runs.</summary>
    /// <exception cref="ArgumentException">An invalid plan, or an output that is a file or a non-empty folder of something other than a demo.</exception>
    public static DemoRun Prepare(string output, DemoPlan plan)
    {
        plan.Validate();
        if (File.Exists(output))
            throw new ArgumentException($"{output} is a file; the demo needs a folder.");
        if (Directory.Exists(output) && !File.Exists(Path.Combine(output, MarkerFile)) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new ArgumentException($"{output} holds files that are not a demo's (no {MarkerFile}); choose another folder or empty it.");
        return new DemoRun(output, plan);
    }

    private string MakeDataset(Action<DemoProgress> progress, CancellationToken cancellation)
    {
        clock.Restart();
        Directory.CreateDirectory(Output);
        foreach (string entry in OwnEntries.Select(name => Path.Combine(Output, name)))
        {
            if (Directory.Exists(entry))
                Directory.Delete(entry, recursive: true);
            else
                File.Delete(entry);
        }
        AtomicFile.WriteAllText(Path.Combine(Output, MarkerFile), JsonSerializer.Serialize(plan, MarkerJson) + "\n");
        SyntheticImages.WriteDataset(DataRoot, plan.Dataset, plan.Seed, plan.Threads,
            written => progress(new DemoProgress(written, "drawing and encoding JPEGs")), cancellation);
        var size = plan.Dataset;
        return Invariant($"{size.TrainPerClass * SyntheticImages.Classes.Count} training and {size.ValPerClass * SyntheticImages.Classes.Count} validation ",
            $"images, {SyntheticImages.Classes.Count} classes, {size.ImageSide}x{size.ImageSide} JPEG -> {DataRoot}");
    }

    /// <summary>
    /// What <c>dctnet stats --resize S --crop S</c> computes over the training images (<see cref="DatasetStatistics"/>),
    /// for each pipeline: the same files, so that the DCT models train as the report's commands would.
    /// </summary>
    private string MeasureStatistics(Action<DemoProgress> progress, CancellationToken cancellation)
    {
        string root = Path.Combine(DataRoot, SyntheticImages.TrainFolder);
        var files = ImageFiles.Find(root).Relative.Select(relative => Path.Combine(root, relative)).ToList();
        foreach (var (pipeline, file, before) in new[] { (DctPipeline.Exact, StatsFile, 0), (DctPipeline.Jpeg, JpegStatsFile, files.Count) })
        {
            var measured = DatasetStatistics.Measure(files, pipeline, new CropGeometry(plan.DctCrop, plan.DctCrop), new ImageDecoder(), plan.Threads,
                progress: done => progress(new DemoProgress(before + done, $"DCT statistics of the training images ({DctFileTransform.Name(pipeline)} pipeline)")),
                cancellation: cancellation);
            if (measured.Failures is [var failure, ..])
                throw new InvalidDataException($"{failure.Path}: {failure.Reason}");
            measured.Save(Path.Combine(DataRoot, file), root, ChannelSubset.All);
        }
        return Invariant($"per-channel mean and std of the 192 DCT channels over {files.Count} images, both pipelines -> {DataRoot}");
    }

    private string Train(DemoModel model, Action<DemoProgress> progress, CancellationToken cancellation)
    {
        using var run = TrainingRun.Start(model.Options, RunDirectory(model));
        int perEpoch = run.TrainingSamples + run.ValidationSamples;
        string lastEpoch = "";
        var started = Stopwatch.StartNew();
        while (!run.Ledger.Finished)
        {
            int done = run.Ledger.CompletedEpochs * perEpoch;
            var metrics = run.RunEpoch(step =>
            {
                int processed = done + (step.Phase == "train" ? step.Processed : run.TrainingSamples + step.Processed);
                progress(new DemoProgress(processed, Invariant($"epoch {step.Epoch}/{model.Options.Epochs} {step.Phase} loss {step.RunningLoss:0.000}{lastEpoch}")));
            }, cancellation: cancellation);
            lastEpoch = Invariant($" | epoch {metrics.Epoch} val top-1 {metrics.ValTop1:0.0}%");
        }
        return Invariant($"{model.Options.Model} on {model.Channels} ({model.Input}): best val top-1 {run.Ledger.Best:0.0}% after {model.Options.Epochs} epochs ",
            $"in {started.Elapsed.TotalSeconds:0} s -> {run.Directory}");
    }

    private string MeasureGateSelection(Action<DemoProgress> progress, CancellationToken cancellation)
    {
        var gated = models.Single(model => model.Options.Gate);
        var valData = ImageFolder.Open(Path.Combine(DataRoot, SyntheticImages.ValFolder));
        // As 'dctnet analyze' loads it: BatchNorms unfolded (a gate decision is a comparison that rounding could flip), noise from the seed.
        using var model = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(gated.Options.Model), RunDirectory(gated)) { GateSeed = (ulong)plan.Seed });
        selection = GateSelection.Measure(model, valData.Samples, plan.InferenceBatchSize, plan.Threads,
            step => progress(new DemoProgress(step.Processed, "gate decisions over the validation images")), cancellation);
        subset = selection.SaveAnalysis(AnalysisRoot, Invariant($"Input gate: selection frequency per channel (demo, {selection.Samples} validation images)"), plan.SubsetChannels);
        return Invariant($"{selection.Frequencies.Sum():0.0} of {InputGate.Channels} channels on per image; heat map and the {plan.SubsetChannels} most selected channels -> {AnalysisRoot}");
    }

    /// <summary>The models whose spectral sensitivity the demo measures: DCT-24, and the gated model, which sees all 192 channels.</summary>
    internal static readonly string[] SensitivityModels = ["dct24", "gated"];

    /// <summary>Where a model's sensitivity goes: <c>analysis/sensitivity-NAME/</c>.</summary>
    internal static string SensitivityFolder(string model) => $"sensitivity-{model}";

    private int SensitivityPasses(string name)
        => SpectralSensitivity.AblationCount(ChannelSubset.Parse(models.Single(m => m.Name == name).Options.Channels!), AblationUnit.Channel) + 1;

    /// <summary>What <c>dctnet analyze RUN --sensitivity</c> measures: each channel replaced by its mean, on the default CPU engine.</summary>
    private string MeasureSensitivity(Action<DemoProgress> progress, CancellationToken cancellation)
    {
        var valData = ImageFolder.Open(Path.Combine(DataRoot, SyntheticImages.ValFolder));
        var summaries = new List<string>();
        int before = 0;
        sensitivities.Clear();
        foreach (string name in SensitivityModels)
        {
            var model = models.Single(m => m.Name == name);
            using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(model.Options.Model), RunDirectory(model))
            {
                GateSeed = (ulong)plan.Seed,
                Engine = EngineOption.Default,
                Threads = plan.Threads,
            });
            var measured = SpectralSensitivity.Measure(loaded, valData, Ablation.Mean, AblationUnit.Channel, SensitivityBatchSize, plan.Threads, (ulong)plan.Seed,
                step => progress(new DemoProgress(before + (int)step.Processed, $"{name}: each input channel replaced by its mean")), cancellation);
            before += valData.Samples.Count * SensitivityPasses(name);
            string folder = Path.Combine(AnalysisRoot, SensitivityFolder(name));
            measured.Save(folder, Invariant($"Top-1 lost with each channel replaced by its mean ({name}, {measured.Samples} validation images)"),
                model.Options.Model, loaded.WeightsPath, valData.Root);
            sensitivities[name] = measured;
            summaries.Add(Invariant($"{name} {measured.BaselineTop1:0.0}% -> largest drop {measured.Results.Max(r => measured.BaselineTop1 - r.Top1):0.0} points"));
        }
        return $"{string.Join("; ", summaries)} -> {AnalysisRoot}";
    }

    private string WriteReport(Action<DemoProgress> progress, CancellationToken cancellation)
    {
        var results = new List<DemoModelResult>();
        foreach (var model in models)
        {
            cancellation.ThrowIfCancellationRequested();
            results.Add(Measure(model));
            progress(new DemoProgress(results.Count, "MACs and inference throughput"));
        }
        Results = results;
        var inputSpeeds = new Dictionary<DctPipeline, double>();
        foreach (var pipeline in new[] { DctPipeline.Exact, DctPipeline.Jpeg })
        {
            cancellation.ThrowIfCancellationRequested();
            inputSpeeds[pipeline] = MeasureInput(pipeline);
            progress(new DemoProgress(results.Count + inputSpeeds.Count, "the two DCT pipelines' input throughput"));
        }
        AtomicFile.WriteAllText(ReportPath, DemoReport.Markdown(this, results, inputSpeeds, selection!, subset!, sensitivities, clock.Elapsed));
        return $"-> {ReportPath}";
    }

    private DemoModelResult Measure(DemoModel model)
    {
        string directory = RunDirectory(model);
        var epochs = File.ReadLines(Path.Combine(directory, RunLedger.MetricsFile)).Select(ClassificationEpochMetrics.TryParse).OfType<ClassificationEpochMetrics>().ToList();
        var trainSpeeds = epochs.Select(e => e.ImagesPerSecond).Order().ToList();
        using var inference = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(model.Options.Model), directory) { GateSeed = (ulong)plan.Seed, FoldBatchNorm = true });
        var info = inference.Definition.Info(inference.Input, inference.Classes, inference.HasInputGate);
        using var input = randn([plan.InferenceBatchSize, .. info.InputShape.Select(d => (long)d)]);
        double seconds = Timing.BestSeconds(() => inference.Logits(input).Dispose(), TimedInferenceBatches);
        return new DemoModelResult(model.Name, model.Options.Model, model.Input, model.Channels, info.MacsPerImage, info.Parameters,
            epochs.Where(e => model.Options.MayBeBest(e.Epoch)).Max(e => e.ValTop1), trainSpeeds[trainSpeeds.Count / 2], plan.InferenceBatchSize / seconds,
            model.Options.Gate ? selection!.Frequencies.Sum() : null);
    }

    /// <summary>
    /// Images/s of a DCT pipeline's input alone on one thread, as <c>dctnet bench transform</c> times it: each validation
    /// file read and turned into the DCT-24 model's normalized input, best of 3 passes.
    /// </summary>
    private double MeasureInput(DctPipeline pipeline)
    {
        var model = models.Single(m => m.Options.Channels == "24" && m.Options.DctPipeline == pipeline);
        var transform = new DctFileTransform(pipeline, new CropGeometry(plan.DctCrop, plan.DctCrop), ChannelSubset.BuiltIn(24),
            ChannelStatistics.Load(model.Options.Stats!));
        string root = Path.Combine(DataRoot, SyntheticImages.ValFolder);
        var files = ImageFiles.Find(root).Relative.Select(relative => Path.Combine(root, relative)).ToArray();
        var output = new float[transform.OutputLength];
        double seconds = Timing.BestSeconds(() =>
        {
            foreach (string file in files)
                transform.Transform(file, output);
        }, runs: 3);
        return files.Length / seconds;
    }

    internal const string JpegModelName = "dct24-jpeg";

    private static string Invariant(params FormattableString[] parts) => string.Concat(parts.Select(part => part.ToString(CultureInfo.InvariantCulture)));

    private static readonly JsonSerializerOptions MarkerJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <param name="Name">The run's folder under runs/ and its name in the report.</param>
    /// <param name="Input">What the network sees, for the report.</param>
    /// <param name="Channels">RGB, DCT-24 or gated 192, for the report.</param>
    internal sealed record DemoModel(string Name, string Input, string Channels, TrainingOptions Options);

    internal IReadOnlyList<DemoModel> Models => models;
}

using System.Text.Json;
using System.Text.Json.Serialization;
using DctNet.Data;
using DctNet.Frequency.Channels;
using DctNet.Frequency.IO;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Analysis;

/// <summary>What replaces an ablated channel.</summary>
public enum Ablation
{
    /// <summary>The channel's mean under the model's normalization (its statistics' mean): 0 in the normalized input.</summary>
    Mean,

    /// <summary>A DCT coefficient of 0, as if the frequency were absent from every block: -mean / std in the normalized input.</summary>
    Zero,
}

/// <summary>What is ablated at a time.</summary>
public enum AblationUnit
{
    /// <summary>Each input channel on its own.</summary>
    Channel,

    /// <summary>Each frequency band of each component: the channels of one anti-diagonal u + v = b of the 8x8 block (b = 0..14), as JPEG's zigzag orders them.</summary>
    Band,
}

/// <summary>Progress of a <see cref="SpectralSensitivity"/> measurement: forward passes of images done, of the total, and the unreadable images of the last batch.</summary>
public sealed record SensitivityProgress(long Processed, long Total, IReadOnlyList<LoadFailure> NewFailures);

/// <summary>One ablation's outcome over the dataset.</summary>
/// <param name="Name">"Y 3" for channel 3 of Y (k = 8v + u), "Cb band 2" for the channels of Cb with u + v = 2.</param>
/// <param name="Channels">The ablated channels as indexes into the 192 (Y, Cb, Cr).</param>
/// <param name="Top1">Top-1 accuracy in percent with the channels ablated.</param>
/// <param name="Loss">Mean cross-entropy with the channels ablated.</param>
public sealed record AblationResult(string Name, IReadOnlyList<int> Channels, double Top1, double Loss);

/// <summary>
/// The paper's spectral-bias evidence for any trained DCT model, gate or none: the accuracy lost when each channel (or
/// frequency band) of its input is replaced by its mean or by 0 over a labelled dataset. Every image is read once; each
/// batch then runs through the model once as it is and once per ablation, with the same Gumbel noise for a gated model,
/// so that the differences are the ablations' alone.
/// </summary>
/// <param name="BaselineTop1">Top-1 in percent with nothing ablated.</param>
/// <param name="BaselineLoss">Mean cross-entropy with nothing ablated.</param>
/// <param name="Samples">The images counted.</param>
/// <param name="Failures">Images that could not be read (not counted).</param>
public sealed record SpectralSensitivity(Ablation Ablation, AblationUnit Unit, int Samples, double BaselineTop1, double BaselineLoss,
    IReadOnlyList<AblationResult> Results, IReadOnlyList<LoadFailure> Failures)
{
    public const string SensitivityFile = "sensitivity.json", HeatmapFile = "sensitivity.png";

    /// <summary>Bands of one component: u + v = 0 .. 14.</summary>
    public const int BandsPerComponent = 15;

    /// <summary>
    /// The accuracy lost (percentage points) per channel of the 192: its ablation's, or its band's; NaN for channels the
    /// model does not take. Negative where an ablation helped.
    /// </summary>
    public double[] Top1DropPerChannel() => PerChannel(result => BaselineTop1 - result.Top1);

    /// <summary>The cross-entropy added per channel of the 192 (as <see cref="Top1DropPerChannel"/>): a finer measure than top-1 on small datasets.</summary>
    public double[] LossIncreasePerChannel() => PerChannel(result => result.Loss - BaselineLoss);

    /// <summary>
    /// Each channel's rank among the 192 (1 = most sensitive) by accuracy drop, equal drops ordered by loss increase;
    /// a tie in both ranks every tied channel last among them. Channels the model does not take rank after all others.
    /// </summary>
    public int[] Ranks() => ChannelRanking.Pessimistic(Top1DropPerChannel(), LossIncreasePerChannel());

    /// <summary>The <paramref name="count"/> channels of best <see cref="Ranks"/> (equal ranks to the lower channel index), as a subset that --channels takes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">More channels than were measured one by one.</exception>
    public ChannelSubset MostSensitive(int count)
    {
        if (Unit != AblationUnit.Channel)
            throw new InvalidOperationException("A subset of channels needs each channel measured on its own (channel ablation), not bands.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Results.Count);
        var ranks = Ranks();
        return GateSelection.SubsetOf(Results.Select(r => r.Channels[0]).OrderBy(c => ranks[c]).ThenBy(c => c).Take(count));
    }

    private double[] PerChannel(Func<AblationResult, double> value)
    {
        var values = Enumerable.Repeat(double.NaN, ChannelSubset.TotalChannels).ToArray();
        foreach (var result in Results)
        {
            foreach (int channel in result.Channels)
                values[channel] = value(result);
        }
        return values;
    }

    /// <summary>
    /// Measures the model over the samples through its own pipeline (images it cannot read are skipped and listed).
    /// </summary>
    /// <param name="gateSeed">Seed of a gated model's Gumbel noise; each batch draws from its own stream of it, the same for every ablation.</param>
    /// <param name="progress">Called after every forward pass, on the calling thread.</param>
    /// <exception cref="ModelRequestException">An RGB model, a dataset with another number of classes, or mean ablation of raw (unnormalized) input.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static SpectralSensitivity Measure(InferenceModel model, ImageFolder data, Ablation ablation, AblationUnit unit, int batchSize, int threads,
        ulong gateSeed = 0, Action<SensitivityProgress>? progress = null, CancellationToken cancellation = default)
    {
        var channels = model.Channels ?? throw new ModelRequestException($"{model.WeightsPath}: {model.Definition.Name} takes RGB images; spectral sensitivity needs a DCT model.");
        if (data.Classes.Count != model.Classes)
            throw new ModelRequestException($"{data.Root}: {data.Classes.Count} classes (class folders), but the model has {model.Classes} outputs; "
                + "measure it on a dataset with its own classes.");
        var groups = Groups(channels, unit);
        var fill = Replacements(model, channels, ablation);
        long total = (long)data.Samples.Count * (groups.Count + 1), processed = 0;
        var correct = new long[groups.Count + 1];
        var lossSums = new double[groups.Count + 1];
        int counted = 0, batchIndex = 0;
        var failures = new List<LoadFailure>();
        foreach (var batch in model.CreateLoader(data.Samples, batchSize, threads).Batches(cancellation: cancellation))
        {
            using (batch)
            {
                failures.AddRange(batch.Failures);
                processed += (long)batch.Failures.Count * (groups.Count + 1);
                if (batch.Count == 0)
                {
                    progress?.Invoke(new SensitivityProgress(processed, total, batch.Failures));
                    continue;
                }
                // Its own noise per batch, identical for every ablation of the batch.
                ulong batchSeed = gateSeed + (ulong)batchIndex++;
                using var ablated = batch.Inputs.clone();
                for (int g = 0; g <= groups.Count; g++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    // The channel views die here, not in the finalizer thread.
                    using var scope = NewDisposeScope();
                    var inputs = batch.Inputs;
                    if (g > 0)
                    {
                        ablated.copy_(batch.Inputs);
                        foreach (int index in groups[g - 1].InputIndexes)
                        {
                            // Held until fill_ returns (HeldScalars).
                            using var value = fill[index].ToScalar();
                            ablated.select(1, index).fill_(value);
                        }
                        inputs = ablated;
                    }
                    model.SeedGateNoise(batchSeed);
                    (long hits, double loss) = Score(model, inputs, batch.Labels);
                    correct[g] += hits;
                    lossSums[g] += loss;
                    processed += batch.Count;
                    progress?.Invoke(new SensitivityProgress(processed, total, g == 0 ? batch.Failures : []));
                }
                counted += batch.Count;
            }
        }
        if (counted == 0)
            throw new InvalidOperationException("No image could be read: the sensitivity is undefined.");
        double Top1(int g) => 100.0 * correct[g] / counted;
        var results = groups.Select((group, i) => new AblationResult(group.Name, group.Channels, Top1(i + 1), lossSums[i + 1] / counted)).ToList();
        return new SpectralSensitivity(ablation, unit, counted, Top1(0), lossSums[0] / counted, results, failures);
    }

    private static (long Hits, double LossSum) Score(InferenceModel model, Tensor inputs, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var logits = model.Logits(inputs);
        var targets = labels.to(ScalarType.Int64);
        long hits = logits.argmax(1).eq(targets).sum().item<long>();
        double loss = nn.functional.cross_entropy(logits.to(ScalarType.Float64), targets, reduction: nn.Reduction.Sum).item<double>();
        return (hits, loss);
    }

    private sealed record Group(string Name, int[] Channels, int[] InputIndexes);

    /// <summary>The ablations in input order: each channel, or each band with at least one channel in the input.</summary>
    private static List<Group> Groups(ChannelSubset channels, AblationUnit unit)
    {
        var input = channels.Channels;
        if (unit == AblationUnit.Channel)
            return [.. input.Select((c, index) => new Group(ChannelSubset.ChannelName(c), [c], [index]))];
        return [.. Enumerable.Range(0, input.Length)
            .GroupBy(index => (Component: input[index] / ChannelSubset.ChannelsPerComponent, Band: Band(input[index])))
            .OrderBy(band => band.Key.Component).ThenBy(band => band.Key.Band)
            .Select(band => new Group($"{ChannelSubset.ComponentNames[band.Key.Component]} band {band.Key.Band}", [.. band.Select(index => input[index])], [.. band]))];
    }

    /// <summary>How many ablations <see cref="Measure"/> runs for a model of <paramref name="channels"/>.</summary>
    public static int AblationCount(ChannelSubset channels, AblationUnit unit) => Groups(channels, unit).Count;

    /// <summary>
    /// The mean top-1 drop per measured channel in bands 0-3 (the low frequencies: the 10 channels per component with
    /// u + v below 4) and in bands 4-14; NaN where no channel was measured. The paper's low against high frequencies in two numbers.
    /// </summary>
    public (double Low, double High) LowAndHighBands()
    {
        var drops = Top1DropPerChannel();
        double Mean(Func<int, bool> inBand)
        {
            var values = Enumerable.Range(0, drops.Length).Where(c => inBand(Band(c)) && !double.IsNaN(drops[c])).Select(c => drops[c]).ToList();
            return values.Count == 0 ? double.NaN : values.Average();
        }
        return (Mean(band => band < 4), Mean(band => band >= 4));
    }

    /// <summary>u + v of channel <paramref name="channel"/> of the 192.</summary>
    public static int Band(int channel)
    {
        int k = channel % ChannelSubset.ChannelsPerComponent;
        return k % 8 + k / 8;
    }

    /// <summary>What replaces each input channel, in the model's normalized input.</summary>
    private static float[] Replacements(InferenceModel model, ChannelSubset channels, Ablation ablation)
    {
        var normalization = model.Normalization;
        if (normalization is null && ablation == Ablation.Mean)
            throw new ModelRequestException($"{model.WeightsPath}: the model takes raw coefficients, so no mean is known to replace a channel with; use zero ablation.");
        return [.. channels.Channels.Select(c => normalization is null || ablation == Ablation.Mean
            ? 0f
            : (float)(-normalization.Mean[c] / normalization.Std[c]))];
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// The measurement as JSON: the ablation, the unit, the baseline, each ablation's result, and the 192 per-channel
    /// drops, loss increases and ranks (null where the model does not take the channel).
    /// </summary>
    public string ToJson(string model, string weights, string data)
    {
        static double?[] OrNull(double[] values) => [.. values.Select(v => double.IsNaN(v) ? (double?)null : v)];
        var ranks = Ranks();
        var drops = Top1DropPerChannel();
        return JsonSerializer.Serialize(new
        {
            Model = model,
            Weights = weights,
            Data = data,
            Ablation,
            Unit,
            Samples,
            Failures = Failures.Count,
            Baseline = new { Top1 = BaselineTop1, Loss = BaselineLoss },
            Ablations = Results.Select(r => new { r.Name, r.Channels, r.Top1, Top1Drop = BaselineTop1 - r.Top1, r.Loss, LossIncrease = r.Loss - BaselineLoss }),
            Top1DropPerChannel = OrNull(drops),
            LossIncreasePerChannel = OrNull(LossIncreasePerChannel()),
            RankPerChannel = ranks.Select((rank, c) => double.IsNaN(drops[c]) ? (int?)null : rank),
        }, Json);
    }

    /// <summary>Writes <see cref="SensitivityFile"/> and <see cref="HeatmapFile"/> (accuracy drop per channel, Y/Cb/Cr grids) into <paramref name="folder"/>, atomically.</summary>
    public void Save(string folder, string title, string model, string weights, string data)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, SensitivityFile), ToJson(model, weights, data) + "\n");
        var drops = Top1DropPerChannel();
        SelectionHeatmap.Render(drops, Path.Combine(folder, HeatmapFile), title, HeatmapScale.AccuracyDrop(drops));
    }
}

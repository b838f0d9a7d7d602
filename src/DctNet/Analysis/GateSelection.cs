using System.Globalization;
using System.Text.Json;
using DctNet.Data;
using DctNet.Frequency.Channels;
using DctNet.Frequency.IO;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Reporting;
using static TorchSharp.torch;

namespace DctNet.Analysis;

/// <summary>Progress of a <see cref="GateSelection"/> measurement: images done (read or not) of the total, and the unreadable ones of the last batch.</summary>
public sealed record GateSelectionProgress(int Processed, int Total, IReadOnlyList<LoadFailure> NewFailures);

/// <summary>
/// How often the input gate (REFERENCE.md section 2) keeps each of the 192 frequency channels over a dataset: the
/// paper's selection heat maps, and the static subset of the most selected channels.
/// </summary>
/// <param name="Frequencies">192 values in [0, 1]: Y, then Cb, then Cr, each in the natural order of the 8x8 block (k = 8v + u).</param>
/// <param name="KeepProbabilities">
/// 192 values in [0, 1], in the same order: the mean over the images of each gate's probability of keeping the channel,
/// <see cref="InputGate.KeepProbabilities"/>. It is what <paramref name="Frequencies"/>
/// estimates by sampling, without the sampling noise, and it still orders channels whose samples were all 0 or all 1.
/// </param>
/// <param name="Samples">The images the frequencies are averaged over.</param>
/// <param name="Failures">Images that could not be read (not counted).</param>
public sealed record GateSelection(IReadOnlyList<double> Frequencies, IReadOnlyList<double> KeepProbabilities, int Samples, IReadOnlyList<LoadFailure> Failures)
{
    /// <summary>The files of an analysis folder, as <see cref="SaveAnalysis"/> writes them.</summary>
    public const string SelectionFile = "selection.json", KeepProbabilityFile = "keep_probability.json", HeatmapFile = "heatmap.png", SubsetFile = "subset.json";

    /// <summary>Runs the gated model over the samples through its own pipeline and averages the gates per channel.</summary>
    /// <param name="progress">Called after every batch, on the calling thread.</param>
    /// <exception cref="ModelRequestException">The model has no input gate.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static GateSelection Measure(InferenceModel model, IReadOnlyList<(string Path, int Label)> samples, int batchSize, int threads,
        Action<GateSelectionProgress>? progress = null, CancellationToken cancellation = default)
    {
        var gated = GatedModule(model);
        var sums = new double[2 * InputGate.Channels];
        int counted = 0, processed = 0;
        var failures = new List<LoadFailure>();
        foreach (var batch in model.CreateLoader(samples, batchSize, threads).Batches(cancellation: cancellation))
        {
            using (batch)
            {
                if (batch.Count > 0)
                    counted += Accumulate(gated, batch.Inputs, sums);
                failures.AddRange(batch.Failures);
                processed += batch.Count + batch.Failures.Count;
                progress?.Invoke(new GateSelectionProgress(processed, samples.Count, batch.Failures));
            }
        }
        return FromSums(sums, counted, failures);
    }

    /// <summary>The selection over ready input batches (each N x 192 x H x W, as the model's pipeline makes them).</summary>
    public static GateSelection Measure(DctModel model, IEnumerable<Tensor> inputBatches)
    {
        if (model.Gate is null)
            throw new ModelRequestException($"This {model.GetType().Name} has no input gate; gate selection needs a model trained with the input gate over all 192 channels.");
        var sums = new double[2 * InputGate.Channels];
        int counted = 0;
        foreach (var inputs in inputBatches)
            counted += Accumulate(model, inputs, sums);
        return FromSums(sums, counted, []);
    }

    /// <summary>
    /// The <paramref name="count"/> most selected channels, grouped Y/Cb/Cr and sorted by index within each
    /// component; equal frequencies go to the lower channel index (Y before Cb before Cr).
    /// </summary>
    public ChannelSubset MostSelected(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Frequencies.Count);
        return SubsetOf(Enumerable.Range(0, Frequencies.Count).OrderByDescending(c => Frequencies[c]).ThenBy(c => c).Take(count));
    }

    /// <summary>Channels given as indexes into the 192, as a subset grouped Y/Cb/Cr and sorted by index within each component.</summary>
    internal static ChannelSubset SubsetOf(IEnumerable<int> channels)
    {
        var chosen = channels.Order().ToList();
        const int PerComponent = ChannelSubset.ChannelsPerComponent;
        IEnumerable<int> Component(int component) => chosen.Where(c => c / PerComponent == component).Select(c => c % PerComponent);
        return ChannelSubset.FromLists(chosen.Count.ToString(CultureInfo.InvariantCulture), Component(0), Component(1), Component(2));
    }

    /// <summary>
    /// Each channel's rank by selection frequency (1 = most selected), equal frequencies ordered by keep probability (a
    /// gate closed for every image still ranks above one closed more firmly); channels equal in both rank last among them.
    /// </summary>
    public int[] Ranks() => ChannelRanking.Pessimistic(Frequencies, KeepProbabilities);

    /// <summary>The frequencies as a JSON list of 192 numbers.</summary>
    public string ToJson() => JsonSerializer.Serialize(Frequencies);

    /// <summary>Writes <see cref="ToJson"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson() + "\n");

    /// <summary>Writes <see cref="MostSelected"/>'s subset atomically, in the form <see cref="ChannelSubset.Parse"/> reads.</summary>
    public ChannelSubset SaveMostSelected(int count, string path)
    {
        var subset = MostSelected(count);
        AtomicFile.WriteAllText(path, subset.ToJson() + "\n");
        return subset;
    }

    /// <summary>
    /// Writes an analysis folder: <see cref="SelectionFile"/> (<see cref="Save"/>), <see cref="HeatmapFile"/> titled
    /// <paramref name="title"/> and, given a count, <see cref="SubsetFile"/> of the most selected channels (<see cref="SaveMostSelected"/>).
    /// </summary>
    /// <returns>The exported subset; null without a count.</returns>
    public ChannelSubset? SaveAnalysis(string folder, string title, int? subsetChannels)
    {
        Save(Path.Combine(folder, SelectionFile));
        AtomicFile.WriteAllText(Path.Combine(folder, KeepProbabilityFile), JsonSerializer.Serialize(KeepProbabilities) + "\n");
        SelectionHeatmap.Render(Frequencies, Path.Combine(folder, HeatmapFile), title);
        return subsetChannels is { } count ? SaveMostSelected(count, Path.Combine(folder, SubsetFile)) : null;
    }

    private static DctModel GatedModule(InferenceModel model) => model.Module is DctModel { Gate: not null } dct
        ? dct
        : throw new ModelRequestException($"{model.WeightsPath}: the weights have no input gate ({WeightsLayout.InputGatePrefix}*); "
            + "gate selection needs a model trained with the input gate over all 192 channels.");

    /// <summary>
    /// Adds each channel's number of "on" gates in the batch to the first 192 <paramref name="sums"/>, and the sum of its
    /// keep probabilities to the last 192; returns the batch size.
    /// </summary>
    private static int Accumulate(DctModel model, Tensor inputs, double[] sums)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = model.ForwardWithGates(inputs);
        var keep = InputGate.KeepProbabilities(output.GateLogits.to(float64));
        // Gates are exactly 0 or 1, so float64 sums are exact counts for any realistic dataset. The dimension is
        // named: a literal 0 would bind to sum's ScalarType overload (Byte).
        var perChannel = cat([output.Gates.to(float64).sum(dim: 0), keep.sum(dim: 0)]).cpu().data<double>().ToArray();
        for (int c = 0; c < sums.Length; c++)
            sums[c] += perChannel[c];
        return checked((int)output.Gates.shape[0]);
    }

    private static GateSelection FromSums(double[] sums, int counted, IReadOnlyList<LoadFailure> failures)
    {
        if (counted == 0)
            throw new InvalidOperationException("No image could be read: the gate selection is undefined.");
        return new GateSelection([.. sums.Take(InputGate.Channels).Select(s => s / counted)], [.. sums.Skip(InputGate.Channels).Select(s => s / counted)], counted, failures);
    }

}

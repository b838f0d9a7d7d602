using DctNet.Analysis;
using DctNet.Frequency.Channels;
using DctNet.Inference;
using DctNet.Models;
using DctNet.TestSupport;
using static TorchSharp.torch;

namespace DctNet.Tests.Analysis;

public sealed class GateSelectionTests : IDisposable
{
    /// <summary>Channels whose gate is forced on, and forced off; the rest are left to the Gumbel noise.</summary>
    private static readonly int[] AlwaysOn = [0, 1, 8, 63, 64, 130, 191];
    private static readonly int[] AlwaysOff = [2, 9, 65, 128, 129, 190];

    private readonly string temp = Directory.CreateTempSubdirectory("dctnet-gate-selection-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public void Forced_gates_give_frequencies_of_exactly_one_and_zero()
    {
        using var model = TinyGatedModel();
        var selection = GateSelection.Measure(model, RandomBatches(batches: 3, batchSize: 4));

        Assert.Equal(12, selection.Samples);
        Assert.Equal(192, selection.Frequencies.Count);
        foreach (int channel in AlwaysOn)
            Assert.Equal(1.0, selection.Frequencies[channel]);
        foreach (int channel in AlwaysOff)
            Assert.Equal(0.0, selection.Frequencies[channel]);
        // The free channels have even logits, so the noise turns them on about half the time: multiples of 1/12 in [0, 1].
        var free = Enumerable.Range(0, 192).Except(AlwaysOn).Except(AlwaysOff).Select(c => selection.Frequencies[c]).ToList();
        Assert.All(free, f => Assert.Equal(0, f * 12 - Math.Round(f * 12), 9));
        Assert.InRange(free.Average(), 0.3, 0.7);
    }

    [Fact]
    public void Keep_probabilities_are_the_logistic_of_each_gates_logit_difference()
    {
        using var model = TinyGatedModel();
        // The gate's weights are zero, so its (off, on) logits are these biases for every image.
        SetGateBias(model, channel: 5, off: 0, on: 1.5f);
        SetGateBias(model, channel: 70, off: 0.25f, on: -2f);
        var selection = GateSelection.Measure(model, RandomBatches(batches: 2, batchSize: 3));

        Assert.Equal(1 / (1 + Math.Exp(-1.5)), selection.KeepProbabilities[5], 6);
        Assert.Equal(1 / (1 + Math.Exp(2.25)), selection.KeepProbabilities[70], 6);
        foreach (int channel in AlwaysOn)
            Assert.Equal(1.0, selection.KeepProbabilities[channel], 12);
        foreach (int channel in AlwaysOff)
            Assert.Equal(0.0, selection.KeepProbabilities[channel], 12);
        // Even logits: the noise's coin is fair, whatever the samples drew.
        Assert.Equal(0.5, selection.KeepProbabilities[4], 12);
        Assert.Equal(0.5, selection.KeepProbabilities[189], 12);
    }

    [Fact]
    public void Channels_never_sampled_on_rank_by_keep_probability_and_exact_ties_rank_last()
    {
        var frequencies = new double[192];
        var keep = new double[192];
        frequencies[3] = 1.0;
        keep[3] = 0.99;
        // Never on in the samples, but closer to it in the second than in the third.
        keep[10] = 0.2;
        keep[11] = 0.01;
        var ranks = new GateSelection(frequencies, keep, 50, []).Ranks();

        Assert.Equal(1, ranks[3]);
        Assert.Equal(2, ranks[10]);
        Assert.Equal(3, ranks[11]);
        Assert.Equal(192, ranks[0]);
        Assert.Equal(192, ranks[191]);
    }

    [Fact]
    public void The_analysis_folder_holds_the_keep_probabilities_beside_the_frequencies()
    {
        var frequencies = Enumerable.Range(0, 192).Select(c => c % 2 == 0 ? 1.0 : 0.0).ToArray();
        var keep = Enumerable.Range(0, 192).Select(c => c / 191.0).ToArray();

        new GateSelection(frequencies, keep, 4, []).SaveAnalysis(temp, "title", subsetChannels: null);

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(temp, GateSelection.KeepProbabilityFile)));
        Assert.Equal(keep, document.RootElement.EnumerateArray().Select(e => e.GetDouble()).ToArray());
        Assert.True(File.Exists(Path.Combine(temp, GateSelection.SelectionFile)));
    }

    [Fact]
    public void Most_selected_channels_are_grouped_by_component_and_ties_go_to_the_lower_index()
    {
        var frequencies = new double[192];
        frequencies[70] = 1.0;   // Cb 6
        frequencies[5] = 0.9;    // Y 5
        frequencies[130] = 0.9;  // Cr 2: same frequency as Y 5, lower rank (higher index)
        frequencies[3] = 0.5;    // Y 3
        frequencies[64] = 0.5;   // Cb 0, tied with Y 3
        frequencies[191] = 0.5;  // Cr 63, tied too: left out at K = 5
        var selection = new GateSelection(frequencies, new double[192], 10, []);

        var subset = selection.MostSelected(5);

        Assert.Equal([3, 5], subset.Y);
        Assert.Equal([0, 6], subset.Cb);
        Assert.Equal([2], subset.Cr);
    }

    [Fact]
    public void Exported_subset_round_trips_through_the_channel_subset_parser()
    {
        using var model = TinyGatedModel();
        var selection = GateSelection.Measure(model, RandomBatches(batches: 2, batchSize: 4));
        string path = Path.Combine(temp, "subset.json");

        var saved = selection.SaveMostSelected(AlwaysOn.Length, path);
        var parsed = ChannelSubset.Parse(path);

        Assert.Equal(AlwaysOn, saved.Channels);
        Assert.Equal(saved.Channels, parsed.Channels);
        Assert.Equal([0, 1, 8, 63], parsed.Y);
        Assert.Equal([0], parsed.Cb);
        Assert.Equal([2, 63], parsed.Cr);
    }

    [Fact]
    public void Selection_json_is_a_list_of_192_numbers()
    {
        var frequencies = Enumerable.Range(0, 192).Select(c => c / 191.0).ToArray();
        string path = Path.Combine(temp, "selection.json");

        new GateSelection(frequencies, new double[192], 1, []).Save(path);

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var values = document.RootElement.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(frequencies, values);
    }

    [Fact]
    public void A_model_without_gate_is_refused()
    {
        using var model = new ResNetDct(new ResNetArchitecture(ResidualBlockKind.Basic, [1, 1, 1, 1]), 192, 2, gate: false, baseWidth: 4);
        var error = Assert.Throws<ModelRequestException>(() => GateSelection.Measure(model, RandomBatches(1, 2)));
        Assert.Contains("no input gate", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A small gated ResNet whose gate logits are constant per channel (zero weights), +-50 where forced.</summary>
    private static ResNetDct TinyGatedModel()
    {
        var model = new ResNetDct(new ResNetArchitecture(ResidualBlockKind.Basic, [1, 1, 1, 1]), 192, 2, gate: true, baseWidth: 4);
        model.eval();
        model.Gate!.NoiseGenerator = new Generator(7);
        ForcedGates.Force(model, AlwaysOn, AlwaysOff);
        return model;
    }

    private static void SetGateBias(ResNetDct model, int channel, float off, float on)
    {
        using var noGrad = no_grad();
        var bias = model.named_parameters().Single(p => p.name == "inp_GM.inp_gate_l.bias").parameter.view(192, 2);
        bias[channel].copy_(tensor(new[] { off, on }));
    }

    private static IEnumerable<Tensor> RandomBatches(int batches, int batchSize)
    {
        var generator = new Generator(3);
        for (int i = 0; i < batches; i++)
            yield return randn([batchSize, 192, 16, 16], generator: generator);
    }
}

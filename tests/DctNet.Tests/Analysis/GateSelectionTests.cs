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
    public void Most_selected_channels_are_grouped_by_component_and_ties_go_to_the_lower_index()
    {
        var frequencies = new double[192];
        frequencies[70] = 1.0;   // Cb 6
        frequencies[5] = 0.9;    // Y 5
        frequencies[130] = 0.9;  // Cr 2: same frequency as Y 5, lower rank (higher index)
        frequencies[3] = 0.5;    // Y 3
        frequencies[64] = 0.5;   // Cb 0, tied with Y 3
        frequencies[191] = 0.5;  // Cr 63, tied too: left out at K = 5
        var selection = new GateSelection(frequencies, 10, []);

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

        new GateSelection(frequencies, 1, []).Save(path);

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

    private static IEnumerable<Tensor> RandomBatches(int batches, int batchSize)
    {
        var generator = new Generator(3);
        for (int i = 0; i < batches; i++)
            yield return randn([batchSize, 192, 16, 16], generator: generator);
    }
}

using DctNet.Checkpoints;
using DctNet.Tests.Checkpoints;
using DctNet.Training;
using static TorchSharp.torch;

namespace DctNet.Tests.Training;

/// <summary>The run ledger alone, around a one-layer model: what it commits, in which order, and what a resume gets back.</summary>
[Collection(SharedTorchGenerator.Name)]
public class RunLedgerTests
{
    private static readonly RunKind Kind = new("test", "test_training", "best_score");

    [Fact]
    public void A_commit_writes_the_state_record_in_its_fixed_layout_and_a_resume_restores_it()
    {
        using var folder = new TemporaryDirectory();
        string directory = folder.File("run");
        var options = new TrainingOptions { Model = "m", Data = "d", Epochs = 2, Seed = 7 };
        using var model = nn.Linear(2, 1);
        using var optimizer = new MomentumSgd(model, 0.9, nesterov: false, weightDecay: 0);
        var saved = new List<string>();
        using (var ledger = RunLedger.Start(directory, Kind, options, claim => claim()))
        {
            ledger.Commit(ModuleState.Capture(model), optimizer, saved.Add, 0.5, """{"epoch":1}""", new Extra(null, [1.5]));
            ledger.Commit(ModuleState.Capture(model), optimizer, saved.Add, 0.25, """{"epoch":2}""", new Extra(null, [1.5]));
            Assert.True(ledger.Finished);
        }

        // best then last for a better epoch, last alone for a worse one
        Assert.Equal(["best.safetensors", "last.safetensors", "last.safetensors"], saved.Select(Path.GetFileName));
        Assert.Equal(options.ToJson() + "\n", File.ReadAllText(Path.Combine(directory, RunLedger.OptionsFile)));
        Assert.Equal("{\"epoch\":1}\n{\"epoch\":2}\n", File.ReadAllText(Path.Combine(directory, RunLedger.MetricsFile)));
        // The layout a resume of an older run reads: the ledger's fields, then the training's.
        Assert.Equal("""{"completed_epochs":2,"best_score":0.5,"seed":7,"metrics_line":"{\u0022epoch\u0022:2}","first":null,"second":[1.5]}""",
            SafeTensorsFile.ReadFile(Path.Combine(directory, RunLedger.StateFile)).Metadata[Kind.StateKey]);

        File.AppendAllText(Path.Combine(directory, RunLedger.MetricsFile), "{\"epoch\":3}\n{\"ep");
        using var resumed = RunLedger.Resume(directory, Kind, TrainingOptions.FromJson, (_, ledger) => ledger,
            ledger => ledger.Restore(model, optimizer, line => line.StartsWith("{\"epoch\":", StringComparison.Ordinal) && line.EndsWith('}') ? line[9] - '0' : null));
        Assert.True(resumed.HasCommit);
        Assert.Equal((2, 0.5), (resumed.CompletedEpochs, resumed.Best));
        var extra = resumed.Committed<Extra>()!;
        Assert.Null(extra.First);
        Assert.Equal([1.5], extra.Second!);
        Assert.Equal("{\"epoch\":1}\n{\"epoch\":2}\n", File.ReadAllText(Path.Combine(directory, RunLedger.MetricsFile)));
    }

    [Fact]
    public void A_resume_refuses_a_state_saved_with_another_seed()
    {
        using var folder = new TemporaryDirectory();
        string directory = folder.File("run");
        using var model = nn.Linear(2, 1);
        using var optimizer = new MomentumSgd(model, 0.9, nesterov: false, weightDecay: 0);
        using (var ledger = RunLedger.Start(directory, Kind, new TrainingOptions { Model = "m", Data = "d", Epochs = 2, Seed = 7 }, claim => claim()))
            ledger.Commit(ModuleState.Capture(model), optimizer, _ => { }, 0.5, "{}");
        File.WriteAllText(Path.Combine(directory, RunLedger.OptionsFile), new TrainingOptions { Model = "m", Data = "d", Epochs = 2, Seed = 8 }.ToJson());

        var error = Assert.Throws<CheckpointException>(() => RunLedger.Resume(directory, Kind, TrainingOptions.FromJson, (_, ledger) => ledger,
            ledger => ledger.Restore(model, optimizer, _ => null)));

        Assert.Equal($"{Path.Combine(directory, RunLedger.StateFile)}: saved with seed 7, but options.json says 8.", error.Message);
    }

    private sealed record Extra(string? First, double[]? Second);
}

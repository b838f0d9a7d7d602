using System.Text.Json;
using DctNet.Checkpoints;
using DctNet.Data;
using DctNet.Training;

namespace DctNet.Tests.Training;

[Collection(SharedTorchGenerator.Name)]
public class TrainingRunTests
{
    private static readonly string[] MetricsFields =
        ["epoch", "train_loss", "train_top1", "val_loss", "val_top1", "val_top5", "lr", "images_per_s", "loader_images_per_s", "skipped"];

    [Fact]
    public void Two_epochs_write_the_run_directory_and_one_metrics_line_per_epoch()
    {
        using var tiny = new TinyRun(withBrokenImage: true);
        string directory = tiny.RunDirectory("run");
        var skipped = new List<LoadFailure>();
        using (var run = TrainingRun.Start(tiny.Options(epochs: 2) with { BatchSize = 3 }, directory, TinyRun.Build))
        {
            while (!run.Ledger.Finished)
                run.RunEpoch(skipped: skipped.Add);
            Assert.Equal(2, run.Ledger.CompletedEpochs);
        }

        foreach (string file in new[] { "options.json", "best.safetensors", "last.safetensors", "train_state.safetensors", "metrics.jsonl", "curves.png" })
            Assert.True(File.Exists(Path.Combine(directory, file)), file);
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
        var events = Directory.GetFiles(Path.Combine(directory, RunLedger.TensorBoardFolder), "events.out.tfevents.*");
        Assert.True(events.Length == 1 && new FileInfo(events[0]).Length > 100, "one non-empty TensorBoard event file");
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, failure => Assert.EndsWith(TinyRun.BrokenImage, failure.Path));

        var lines = File.ReadAllLines(Path.Combine(directory, "metrics.jsonl"));
        Assert.Equal(2, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            foreach (string field in MetricsFields)
                Assert.True(line.RootElement.TryGetProperty(field, out _), field);
            Assert.Equal(i + 1, line.RootElement.GetProperty("epoch").GetInt32());
            Assert.Equal(1, line.RootElement.GetProperty("skipped").GetInt32());
            Assert.InRange(line.RootElement.GetProperty("val_top1").GetDouble(), 0, 100);
            Assert.Equal(100, line.RootElement.GetProperty("val_top5").GetDouble()); // two classes: top-5 holds both
            Assert.False(line.RootElement.TryGetProperty("channels_on", out _));
        }

        var checkpoint = DctNetCheckpoint.Load(Path.Combine(directory, "last.safetensors"));
        Assert.Equal("tiny-resnet-dct", checkpoint.Metadata.Model);
        Assert.Equal(2, checkpoint.Metadata.Classes);
        Assert.Equal(6, checkpoint.Metadata.Channels!.Count);
        Assert.Equal(192, checkpoint.Metadata.Normalization!.Mean.Count);
        Assert.Equal(7, TrainingOptions.FromJson(File.ReadAllText(Path.Combine(directory, "options.json"))).Seed);
    }

    [Fact]
    public void A_run_resumed_after_its_first_epoch_ends_with_the_weights_of_the_uninterrupted_run()
    {
        using var tiny = new TinyRun();
        var options = tiny.Options(epochs: 2) with { Nesterov = true, WarmupEpochs = 1 };
        string whole = tiny.RunDirectory("whole"), resumed = tiny.RunDirectory("resumed");
        using (var run = TrainingRun.Start(options, whole, TinyRun.Build))
        {
            run.RunEpoch();
            run.RunEpoch();
        }
        using (var run = TrainingRun.Start(options, resumed, TinyRun.Build))
            run.RunEpoch();
        // A metrics line of an epoch that never committed (a process killed after appending it cannot happen, but a
        // half-written line can): the resume drops it.
        File.AppendAllText(Path.Combine(resumed, "metrics.jsonl"), "{\"epoch\": 2, \"train_lo");
        using (var run = TrainingRun.Resume(resumed, TinyRun.Build))
        {
            Assert.Equal(1, run.Ledger.CompletedEpochs);
            run.RunEpoch();
            Assert.True(run.Ledger.Finished);
        }

        var expected = DctNetCheckpoint.Load(Path.Combine(whole, "last.safetensors")).Weights;
        var actual = DctNetCheckpoint.Load(Path.Combine(resumed, "last.safetensors")).Weights;
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (string key in expected.Keys)
            Assert.True(expected[key].Bytes.Span.SequenceEqual(actual[key].Bytes.Span), key);
        var epochs = File.ReadAllLines(Path.Combine(resumed, "metrics.jsonl")).Select(line => ClassificationEpochMetrics.TryParse(line)!).ToList();
        Assert.Equal([1, 2], epochs.Select(m => m.Epoch));
        var uninterrupted = File.ReadAllLines(Path.Combine(whole, "metrics.jsonl")).Select(line => ClassificationEpochMetrics.TryParse(line)!).ToList();
        Assert.Equal(uninterrupted.Select(m => (m.TrainLoss, m.ValLoss, m.ValTop1, m.LearningRate)), epochs.Select(m => (m.TrainLoss, m.ValLoss, m.ValTop1, m.LearningRate)));
    }

    [Fact]
    public void Eight_fixed_images_are_memorized()
    {
        using var tiny = new TinyRun();
        // Without augmentation the training samples are fixed images, which a model can memorize.
        var options = tiny.Options(epochs: 40) with { BatchSize = 8, LearningRate = 0.1, WeightDecay = 0, Augment = false };
        using var run = TrainingRun.Start(options, tiny.RunDirectory("overfit"), TinyRun.Build);
        ClassificationEpochMetrics last = null!;
        while (!run.Ledger.Finished)
            last = run.RunEpoch();
        Assert.Equal(100, last.TrainTop1);
    }

    [Fact]
    public void A_diverging_loss_stops_the_run_with_a_message_and_commits_nothing_of_that_epoch()
    {
        using var tiny = new TinyRun();
        string directory = tiny.RunDirectory("nan");
        using var run = TrainingRun.Start(tiny.Options(epochs: 3) with { LearningRate = 1e30, WeightDecay = 0 }, directory, TinyRun.Build);
        var error = Assert.Throws<TrainingDivergedException>(() =>
        {
            while (!run.Ledger.Finished)
                run.RunEpoch();
        });
        Assert.Contains("the loss became", error.Message);
        Assert.Contains("keeps the last complete epoch", error.Message);
        int committed = run.Ledger.CompletedEpochs;
        Assert.True(committed < 3);
        string metrics = Path.Combine(directory, "metrics.jsonl");
        Assert.Equal(committed, File.Exists(metrics) ? File.ReadAllLines(metrics).Length : 0);
    }

    /// <summary>
    /// A write the file system refuses, as a full disk does, here where no disk can be filled: last.safetensors is a
    /// folder, so its rename fails once the temporary file is whole. (RunDirectoryTests fills a real tmpfs where mounting is allowed.)
    /// </summary>
    [Fact]
    public void A_refused_write_stops_the_epoch_with_the_file_named_and_leaves_the_committed_epoch_and_no_temporary_file()
    {
        using var tiny = new TinyRun();
        string directory = tiny.RunDirectory("run");
        string last = Path.Combine(directory, "last.safetensors"), state = Path.Combine(directory, "train_state.safetensors");
        using var run = TrainingRun.Start(tiny.Options(epochs: 2), directory, TinyRun.Build);
        run.RunEpoch();
        byte[] committedState = File.ReadAllBytes(state);
        string committedMetrics = File.ReadAllText(Path.Combine(directory, "metrics.jsonl"));
        File.Delete(last);
        Directory.CreateDirectory(Path.Combine(last, "in-the-way"));

        var error = Assert.Throws<IOException>(() => run.RunEpoch());

        Assert.StartsWith($"{last}: not written (", error.Message);
        Assert.Equal(1, run.Ledger.CompletedEpochs);
        Assert.Equal(committedState, File.ReadAllBytes(state));
        Assert.Equal(committedMetrics, File.ReadAllText(Path.Combine(directory, "metrics.jsonl")));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }));

        Directory.Delete(last, recursive: true);
        run.RunEpoch();
        Assert.True(run.Ledger.Finished);
    }

    [Fact]
    public void A_gated_run_logs_the_mean_number_of_channels_on()
    {
        using var tiny = new TinyRun();
        var options = tiny.Options(epochs: 1) with { Gate = true, GateLambda = 0.01 };
        using var run = TrainingRun.Start(options, tiny.RunDirectory("gate"), TinyRun.Build);
        var metrics = run.RunEpoch();
        // The release's initialization turns every channel on; one epoch of a small penalty moves few of them.
        Assert.InRange(metrics.ChannelsOn!.Value, 150, 192);
        Assert.Contains("\"channels_on\":", File.ReadAllText(Path.Combine(tiny.RunDirectory("gate"), "metrics.jsonl")));
    }

    [Fact]
    public void Init_from_a_run_directory_starts_from_its_best_weights()
    {
        using var tiny = new TinyRun();
        string first = tiny.RunDirectory("first");
        using (var run = TrainingRun.Start(tiny.Options(epochs: 1), first, TinyRun.Build))
            run.RunEpoch();

        using var next = TrainingRun.Start(tiny.Options(epochs: 1) with { Init = first, Seed = 8 }, tiny.RunDirectory("next"), TinyRun.Build);

        var expected = DctNetCheckpoint.Load(Path.Combine(first, "best.safetensors")).Weights;
        var actual = ModuleState.Capture(next.Model);
        Assert.All(expected.Keys, key => Assert.True(expected[key].Bytes.Span.SequenceEqual(actual[key].Bytes.Span), key));
    }

    [Fact]
    public void Weight_decay_skips_batchnorm_weights_and_biases()
    {
        using var tiny = new TinyRun();
        var model = TinyRun.Build(tiny.Options(1), 2);
        using var module = model.Module;
        using var sgd = new MomentumSgd(module, 0.9, nesterov: false, weightDecay: 1e-4);
        var decayed = sgd.Decayed.ToList();
        Assert.Contains("fc.weight", decayed);
        Assert.Contains("model.0.0.conv1.weight", decayed);
        Assert.DoesNotContain(decayed, name => name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("bn", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(LearningRateScheduleKind.Step, 0, 0, 0.1)]
    [InlineData(LearningRateScheduleKind.Step, 4, 0, 0.01)]
    [InlineData(LearningRateScheduleKind.Step, 8, 0, 0.001)]
    [InlineData(LearningRateScheduleKind.Cosine, 6, 0, 0.05)]
    public void Schedules_follow_their_formula(LearningRateScheduleKind kind, int epoch, int batch, double expected)
        => Assert.Equal(expected, new LearningRateSchedule(0.1, kind, epochs: 12, warmupEpochs: 0).At(epoch, batch, 10), 12);

    [Fact]
    public void Warm_up_rises_linearly_batch_by_batch()
    {
        var schedule = new LearningRateSchedule(0.1, LearningRateScheduleKind.Cosine, epochs: 10, warmupEpochs: 2);
        Assert.Equal(0.1 / 20, schedule.At(0, 0, 10), 12);
        Assert.Equal(0.1 * 11 / 20, schedule.At(1, 0, 10), 12);
        Assert.Equal(0.1, schedule.At(2, 0, 10), 12);
    }

    [Fact]
    public void Sample_orders_are_permutations_fixed_by_seed_and_epoch()
    {
        var first = SeededStreams.SampleOrder(1, 0, 50);
        Assert.Equal(Enumerable.Range(0, 50), first.Order());
        Assert.Equal(first, SeededStreams.SampleOrder(1, 0, 50));
        Assert.NotEqual(first, SeededStreams.SampleOrder(1, 1, 50));
        Assert.NotEqual(first, SeededStreams.SampleOrder(2, 0, 50));
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData(128, null, 146, 128)]
    [InlineData(224, null, 256, 224)]
    [InlineData(64, 80, 80, 64)]
    [InlineData(null, 600, 600, 448)]
    public void A_crop_alone_resizes_to_its_eight_sevenths_as_the_reference_geometries_do(int? crop, int? resize, int? expectedResize, int? expectedCrop)
    {
        var options = new TrainingOptions { Model = "resnet18-dct-s2", Data = "", Crop = crop, Resize = resize };
        var geometry = options.Geometry(Frequency.Geometry.CropGeometry.ResNet);
        Assert.Equal(expectedResize, geometry?.Resize);
        Assert.Equal(expectedCrop, geometry?.Crop);
    }
}

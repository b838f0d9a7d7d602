using DctNet.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Tests.Checkpoints;

/// <summary>
/// Loading PyTorch's weights into TorchSharp modules: the SmallNet of make_checkpoints.py rebuilt with the same
/// module names must end up holding exactly PyTorch's parameters and buffers, listed in PyTorch's order.
/// </summary>
public sealed class ModuleStateTests
{
    [Theory]
    [InlineData("release_layout.zip.pth")]
    [InlineData("release_layout.legacy.pth")]
    public void Release_checkpoint_loads_into_the_module_parameters_and_buffers(string file)
    {
        using var scope = torch.NewDisposeScope();
        var model = SmallNet(classes: 5);

        ModuleState.Load(model, PyTorchCheckpoint.ReadStateDict(CheckpointFixtures.PathOf(file)), file);

        // Captured in PyTorch's state_dict order, BatchNorm's running statistics and step count included.
        var captured = ModuleState.Capture(model);
        CheckpointFixtures.AssertEqual(CheckpointFixtures.Expected("small_net"), captured);
        Assert.Equal([3L], captured["bn.num_batches_tracked"].ToArray<long>());
        Assert.All(model.parameters(), parameter => Assert.True(parameter.requires_grad));
    }

    [Fact]
    public void Mismatched_weights_give_one_report_and_change_nothing()
    {
        using var scope = torch.NewDisposeScope();
        var model = nn.Sequential(
            ("conv", nn.Conv2d(3, 4, 3, padding: 1)),
            ("fc", nn.Linear(4, 7)),
            ("extra", nn.Linear(2, 2)));
        var before = ModuleState.Capture(model);

        var error = Assert.Throws<StateDictMismatchException>(() =>
            ModuleState.Load(model, PyTorchCheckpoint.ReadStateDict(CheckpointFixtures.PathOf("release_layout.zip.pth")), "model_best.pth.tar"));

        Assert.Equal(
            """
            model_best.pth.tar: the weights do not match the model
              missing from the file (2):
                extra.weight
                extra.bias
              unexpected in the file (5):
                bn.weight
                bn.bias
                bn.running_mean
                bn.running_var
                bn.num_batches_tracked
              shape mismatches, file vs model (2):
                fc.weight: [5, 4] vs [7, 4]
                fc.bias: [5] vs [7]
            """.ReplaceLineEndings("\n"),
            error.Message);
        Assert.Equal(["extra.weight", "extra.bias"], error.Missing);
        Assert.Equal(2, error.ShapeMismatches.Count);
        var after = ModuleState.Capture(model);
        Assert.All(before, entry => Assert.True(entry.Value.Bytes.Span.SequenceEqual(after[entry.Key].Bytes.Span), $"{entry.Key} changed"));
    }

    [Fact]
    public void Long_reports_list_twenty_keys_per_section()
    {
        using var scope = torch.NewDisposeScope();
        var model = nn.Sequential(Enumerable.Range(0, 15).Select(i => ($"layer{i}", (nn.Module<Tensor, Tensor>)nn.Linear(1, 1))).ToArray());

        var error = Assert.Throws<StateDictMismatchException>(() => ModuleState.Load(model, new StateDict(), "empty"));

        Assert.Equal(30, error.Missing.Count);
        Assert.EndsWith("\n    layer9.bias\n    ... and 10 more", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_older_than_num_batches_tracked_load_with_a_count_of_zero()
    {
        using var scope = torch.NewDisposeScope();
        var model = SmallNet(classes: 2);
        var saved = ModuleState.Capture(model);
        var old = new StateDict(saved.Where(entry => !entry.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)));
        using (torch.no_grad())
            ((TorchSharp.Modules.BatchNorm2d)model[1]).num_batches_tracked!.fill_(7);

        ModuleState.Load(model, old, "resnet50-19c8e357.pth");

        var loaded = ModuleState.Capture(model);
        Assert.Equal([0L], loaded["bn.num_batches_tracked"].ToArray<long>());
        Assert.Equal(saved["bn.running_var"].ToArray<float>(), loaded["bn.running_var"].ToArray<float>());
    }

    private static TorchSharp.Modules.Sequential SmallNet(int classes) => nn.Sequential(
        ("conv", nn.Conv2d(3, 4, 3, padding: 1)),
        ("bn", nn.BatchNorm2d(4)),
        ("fc", nn.Linear(4, classes)));
}

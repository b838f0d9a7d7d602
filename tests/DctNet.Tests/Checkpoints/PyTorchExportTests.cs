using DctNet.Checkpoints;

namespace DctNet.Tests.Checkpoints;

/// <summary>
/// Exported files must be what torch.save writes: checked byte for byte against torch.save's own files
/// (committed, so this runs everywhere), and by the real torch.load + load_state_dict where PyTorch is installed.
/// </summary>
public sealed class PyTorchExportTests
{
    private static readonly ReleaseCheckpointFields ReleaseFields = new(Epoch: 3, Arch: "resnet50", BestPrec1: 76.1);

    [Fact]
    public void A_state_dict_export_has_the_records_torch_save_writes()
    {
        using var directory = new TemporaryDirectory();
        string exported = directory.File("exported.pth");

        PyTorchCheckpoint.Write(exported, CheckpointFixtures.ToStateDict(CheckpointFixtures.Expected("small_net")));

        AssertSameRecords(CheckpointFixtures.PathOf("export_oracle.state_dict.pth"), exported);
    }

    [Fact]
    public void A_release_layout_export_has_the_records_torch_save_writes()
    {
        using var directory = new TemporaryDirectory();
        string exported = directory.File("exported.pth");
        var weights = CheckpointFixtures.ToStateDict(CheckpointFixtures.Expected("small_net"));

        PyTorchCheckpoint.Write(exported, weights, new PyTorchExportOptions { DataParallelPrefix = true, ReleaseLayout = ReleaseFields });

        AssertSameRecords(CheckpointFixtures.PathOf("export_oracle.release_layout.pth"), exported);
    }

    [Fact]
    public void Every_dtype_exports_as_torch_save_writes_it_and_reads_back()
    {
        using var directory = new TemporaryDirectory();
        string exported = directory.File("dtypes.pth");
        var expected = CheckpointFixtures.Expected("dtypes");

        PyTorchCheckpoint.Write(exported, CheckpointFixtures.ToStateDict(expected));

        AssertSameRecords(CheckpointFixtures.PathOf("export_oracle.dtypes.pth"), exported);
        CheckpointFixtures.AssertEqual(expected, PyTorchCheckpoint.ReadStateDict(exported));
        // Written through a temporary file and renamed: nothing else is left behind.
        Assert.Equal([Path.GetFileName(exported)], Directory.GetFiles(directory.Path).Select(Path.GetFileName));
    }

    [RealPyTorchFact]
    public void Torch_load_and_load_state_dict_accept_a_state_dict_export()
    {
        using var directory = new TemporaryDirectory();
        string exported = directory.File("small_net.pth");
        PyTorchCheckpoint.Write(exported, CheckpointFixtures.ToStateDict(CheckpointFixtures.Expected("small_net")));

        var (exitCode, output) = RealPyTorch.Run("tools/checkpoint_fixtures/verify_export.py", exported, "--layout", "state_dict");

        Assert.True(exitCode == 0, output);
        Assert.Equal("OK 9 tensors", output.Trim());
    }

    [RealPyTorchFact]
    public void Torch_load_and_load_state_dict_accept_a_release_layout_export()
    {
        using var directory = new TemporaryDirectory();
        string exported = directory.File("model_best.pth.tar");
        PyTorchCheckpoint.Write(exported, CheckpointFixtures.ToStateDict(CheckpointFixtures.Expected("small_net")),
            new PyTorchExportOptions { DataParallelPrefix = true, ReleaseLayout = ReleaseFields });

        var (exitCode, output) = RealPyTorch.Run("tools/checkpoint_fixtures/verify_export.py", exported, "--layout", "release");

        Assert.True(exitCode == 0, output);
        Assert.Equal("OK 9 tensors", output.Trim());
    }

    /// <summary>The same records with the same bytes as torch.save's file, plus DctNet's "byteorder" record.</summary>
    private static void AssertSameRecords(string torchSaved, string exported)
    {
        var expected = CheckpointFixtures.ZipRecords(torchSaved);
        var actual = CheckpointFixtures.ZipRecords(exported);

        Assert.Equal("little"u8.ToArray(), actual["byteorder"]);
        actual.Remove("byteorder");
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, bytes) in expected)
            Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"record {name} differs from torch.save's");
    }
}

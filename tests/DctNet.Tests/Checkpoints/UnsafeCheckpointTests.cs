using DctNet.Checkpoints;

namespace DctNet.Tests.Checkpoints;

/// <summary>
/// Files made by torch.save around objects whose unpickling runs a command (PyTorch's own torch.load does run
/// them): each is refused with the global it names, and the command's marker file never appears.
/// </summary>
public sealed class UnsafeCheckpointTests
{
    [Theory]
    [InlineData("malicious_os_system.zip.pth", "posix.system")]
    [InlineData("malicious_os_system.legacy.pth", "posix.system")]
    [InlineData("malicious_eval.protocol4.zip.pth", "builtins.eval")]
    [InlineData("malicious_numpy.zip.pth", "numpy.core.multiarray._reconstruct")]
    [InlineData("malicious_namespace.zip.pth", "argparse.Namespace")]
    public void Foreign_globals_are_refused_by_name_and_nothing_runs(string file, string global)
    {
        string path = CheckpointFixtures.PathOf(file);
        File.Delete(CheckpointFixtures.PwnedMarker);

        var error = Assert.Throws<UnsafeCheckpointException>(() => PyTorchCheckpoint.Read(path));

        Assert.Equal($"{path}: refuses to load global '{global}' (only tensors and plain containers are allowed)", error.Message);
        Assert.False(File.Exists(CheckpointFixtures.PwnedMarker), $"{CheckpointFixtures.PwnedMarker} was created");
    }
}

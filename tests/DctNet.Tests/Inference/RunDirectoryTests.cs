using DctNet.Checkpoints;
using DctNet.Inference;
using DctNet.Tests.Checkpoints;

namespace DctNet.Tests.Inference;

public sealed class RunDirectoryTests
{
    [Fact]
    public void A_file_is_its_own_weights()
    {
        using var directory = new TemporaryDirectory();
        string file = directory.File("weights.pth");
        File.WriteAllText(file, "");

        Assert.Equal(file, RunDirectory.ResolveWeights(file));
    }

    [Fact]
    public void A_run_directory_gives_its_best_checkpoint_else_its_last()
    {
        using var directory = new TemporaryDirectory();
        File.WriteAllText(directory.File("last.safetensors"), "");

        Assert.Equal(directory.File("last.safetensors"), RunDirectory.ResolveWeights(directory.Path));

        File.WriteAllText(directory.File("best.safetensors"), "");

        Assert.Equal(directory.File("best.safetensors"), RunDirectory.ResolveWeights(directory.Path));
    }

    [Fact]
    public void A_directory_without_checkpoints_or_a_missing_path_is_refused_by_name()
    {
        using var directory = new TemporaryDirectory();
        string missing = directory.File("missing.pth");

        var empty = Assert.Throws<CheckpointException>(() => RunDirectory.ResolveWeights(directory.Path));
        var absent = Assert.Throws<CheckpointException>(() => RunDirectory.ResolveWeights(missing));

        Assert.Equal($"{directory.Path}: a directory without best.safetensors or last.safetensors; give a weights file or a DctNet training run directory.", empty.Message);
        Assert.Equal($"{missing}: no such file or directory.", absent.Message);
    }
}

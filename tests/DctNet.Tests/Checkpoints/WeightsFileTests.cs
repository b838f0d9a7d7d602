using DctNet.Checkpoints;

namespace DctNet.Tests.Checkpoints;

/// <summary>--weights takes any supported file: the format is recognized from its first bytes.</summary>
public sealed class WeightsFileTests
{
    [Theory]
    [InlineData("dtypes.zip.pth", "PyTorch zip")]
    [InlineData("release_layout.legacy.pth", "PyTorch legacy")]
    [InlineData("dtypes.safetensors", "safetensors")]
    public void Each_format_is_recognized(string file, string format)
    {
        var contents = WeightsFile.Read(CheckpointFixtures.PathOf(file));

        Assert.Equal(format, contents.Format);
        Assert.Null(contents.Metadata);
        Assert.Equal(file.StartsWith("release", StringComparison.Ordinal) ? 9 : 24, contents.Weights.Count);
    }

    [Fact]
    public void A_safetensors_file_whose_header_length_starts_with_0x80_is_not_taken_for_a_pickle()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("weights.safetensors");
        var weights = new StateDict();
        weights.Add("w", new TensorData(TensorElementType.Float32, [2], new byte[8]));
        // The header's length is padded to 8 bytes; some metadata length makes its low byte 0x80, the pickle PROTO opcode.
        for (int padding = 0; padding < 512 && (!File.Exists(path) || File.ReadAllBytes(path)[0] != 0x80); padding++)
            SafeTensorsFile.WriteFile(path, weights, new Dictionary<string, string> { ["note"] = new string('x', padding) });
        Assert.Equal(0x80, File.ReadAllBytes(path)[0]);

        var contents = WeightsFile.Read(path);

        Assert.Equal("safetensors", contents.Format);
        Assert.Equal(["w"], contents.Weights.Keys);
        Assert.Equal("note", Assert.Single(contents.FileMetadata).Key);
    }

    [Fact]
    public void A_malicious_PyTorch_file_is_refused_here_too()
    {
        string path = CheckpointFixtures.PathOf("malicious_os_system.legacy.pth");
        File.Delete(CheckpointFixtures.PwnedMarker);

        var error = Assert.Throws<UnsafeCheckpointException>(() => WeightsFile.Read(path));

        Assert.Equal($"{path}: refuses to load global 'posix.system' (only tensors and plain containers are allowed)", error.Message);
        Assert.False(File.Exists(CheckpointFixtures.PwnedMarker));
    }

    [Fact]
    public void Other_files_are_named_and_refused()
    {
        using var directory = new TemporaryDirectory();
        string text = directory.File("labels.txt"), absent = directory.File("absent.pth");
        File.WriteAllText(text, "tench\ngoldfish\n");

        Assert.Equal($"{text}: not a checkpoint: neither a PyTorch file (zip or legacy) nor a safetensors file.",
            Assert.Throws<CheckpointException>(() => WeightsFile.Read(text)).Message);
        Assert.Equal($"{absent}: does not exist", Assert.Throws<CheckpointException>(() => WeightsFile.Read(absent)).Message);
    }

    [Fact]
    public async Task A_fifo_or_a_device_is_refused_without_being_opened_or_read()
    {
        using var directory = new TemporaryDirectory();
        string fifo = directory.File("model.pth");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])!)
            await mkfifo.WaitForExitAsync();

        // Opening a FIFO blocks until a writer comes; the reader must not open it.
        var refusal = await Task.Run(() => Assert.Throws<CheckpointException>(() => WeightsFile.Read(fifo))).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal($"{fifo}: a FIFO (named pipe), not a regular file", refusal.Message);
        Assert.Equal("/dev/zero: a character device, not a regular file", Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read("/dev/zero")).Message);
        Assert.Equal("/dev/zero: a character device, not a regular file", Assert.Throws<CheckpointException>(() => SafeTensorsFile.ReadFile("/dev/zero")).Message);
    }
}

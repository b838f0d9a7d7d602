using System.IO.Compression;
using DctNet.Checkpoints;

namespace DctNet.Tests.Checkpoints;

/// <summary>Files written by torch.save (PyTorch 1.13) must give back exactly the tensors PyTorch saved.</summary>
public sealed class PyTorchCheckpointReadingTests
{
    [Theory]
    [InlineData("dtypes.zip.pth", PyTorchSerialization.Zip)]
    [InlineData("dtypes.protocol4.zip.pth", PyTorchSerialization.Zip)]
    [InlineData("dtypes.legacy.pth", PyTorchSerialization.Legacy)]
    public void Every_dtype_view_and_shape_reads_back_as_torch_saved_it(string file, PyTorchSerialization serialization)
    {
        var contents = PyTorchCheckpoint.Read(CheckpointFixtures.PathOf(file));

        Assert.Equal(serialization, contents.Serialization);
        Assert.Null(contents.StateDictEntry);
        Assert.False(contents.DataParallelPrefixRemoved);
        Assert.Empty(contents.IgnoredEntries);
        CheckpointFixtures.AssertEqual(CheckpointFixtures.Expected("dtypes"), contents.StateDict);
    }

    [Fact]
    public void Views_take_their_offset_and_strides_from_the_shared_storage()
    {
        var stateDict = PyTorchCheckpoint.ReadStateDict(CheckpointFixtures.PathOf("dtypes.zip.pth"));

        // base = arange(60).reshape(6, 10); base[1:5:2, 2:9:3] is rows 1 and 3, columns 2, 5, 8.
        Assert.Equal([12f, 15f, 18f, 32f, 35f, 38f], stateDict["view.strided"].ToArray<float>());
        Assert.Equal([2L, 3L], stateDict["view.strided"].Shape);
        Assert.Equal([3L, 4L, 5L, 6L, 7L], stateDict["view.offset"].ToArray<long>());
        Assert.Equal([1.5f, 1.5f, 1.5f, -2.5f, -2.5f, -2.5f], stateDict["view.expanded"].ToArray<float>());
        Assert.Equal([7L], stateDict["bn.num_batches_tracked"].ToArray<long>());
        Assert.Empty(stateDict["bn.num_batches_tracked"].Shape);
        Assert.Equal([0L, 3L], stateDict["empty.float32"].Shape);
    }

    [Theory]
    [InlineData("release_layout.zip.pth", PyTorchSerialization.Zip)]
    [InlineData("release_layout.legacy.pth", PyTorchSerialization.Legacy)]
    public void Release_layout_gives_the_module_weights_without_DataParallel_prefix(string file, PyTorchSerialization serialization)
    {
        var contents = PyTorchCheckpoint.Read(CheckpointFixtures.PathOf(file));

        Assert.Equal(serialization, contents.Serialization);
        Assert.Equal("state_dict", contents.StateDictEntry);
        Assert.True(contents.DataParallelPrefixRemoved);
        Assert.Equal(["epoch", "arch", "best_prec1", "iterations", "patience", "seed", "log", "note", "optimizer"], contents.IgnoredEntries);
        CheckpointFixtures.AssertEqual(CheckpointFixtures.Expected("small_net"), contents.StateDict);
    }

    [Fact]
    public void Mmcv_checkpoints_of_the_release_detectors_give_their_state_dict_beside_meta_and_optimizer()
    {
        var contents = PyTorchCheckpoint.Read(CheckpointFixtures.PathOf("mmcv_layout.legacy.pth"));

        Assert.Equal(PyTorchSerialization.Legacy, contents.Serialization);
        Assert.Equal("state_dict", contents.StateDictEntry);
        Assert.Equal(["meta", "optimizer"], contents.IgnoredEntries);
        CheckpointFixtures.AssertEqual(CheckpointFixtures.Expected("small_net"), contents.StateDict);
    }

    [Fact]
    public void Weights_nested_under_model_are_found()
    {
        var contents = PyTorchCheckpoint.Read(CheckpointFixtures.PathOf("model_entry.zip.pth"));

        Assert.Equal("model", contents.StateDictEntry);
        Assert.False(contents.DataParallelPrefixRemoved);
        Assert.Equal(["epoch"], contents.IgnoredEntries);
        CheckpointFixtures.AssertEqual(CheckpointFixtures.Expected("small_net"), contents.StateDict);
    }

    [Fact]
    public void A_dict_without_tensors_names_its_entries()
    {
        string path = CheckpointFixtures.PathOf("no_state_dict.zip.pth");

        var error = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(path));

        Assert.Equal($"{path}: no state dict: expected a dict of tensors, or one under 'state_dict' or 'model' (top-level entries: epoch, lr).", error.Message);
    }

    [Theory]
    [InlineData("truncated.zip.pth", "truncated or corrupt zip archive (")]
    [InlineData("truncated_data.legacy.pth", "truncated: storage '")]
    [InlineData("truncated_pickle.legacy.pth", "truncated: the file ends at byte ")]
    public void Truncated_files_get_one_line_naming_the_file(string file, string reason)
    {
        string path = CheckpointFixtures.PathOf(file);

        var error = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(path));

        Assert.StartsWith($"{path}: {reason}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_view_declaring_gigabytes_costs_nothing_until_the_model_has_checked_its_shape()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("expanded.pth");
        // weight: a 32768 x 32768 float view (4 GiB) with zero strides over a storage of one element.
        WriteArchive(path, PickleBuilder.FloatTensorStateDict("weight", 1, 0, [32768, 32768], [0, 0]), storageBytes: 4);
        using var module = TorchSharp.torch.nn.Linear(3, 4, hasBias: false);

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var weights = PyTorchCheckpoint.ReadStateDict(path);
        var error = Assert.Throws<StateDictMismatchException>(() => ModuleState.Load(module, weights, path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal(4L << 30, weights["weight"].ByteCount);
        Assert.Contains("weight: [32768, 32768] vs [4, 3]", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void A_view_reads_only_its_elements_from_a_storage_that_inflates_beyond_what_it_needs()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("inflating.pth");
        // weight: a transposed 4 x 3 view of the last 12 elements (1 to 12) of a 512 MiB storage record that is zeros
        // before them, deflated to about 0.5 MB.
        const long StorageElements = 128L << 20;
        float[] last = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        WriteArchive(path, PickleBuilder.FloatTensorStateDict("weight", StorageElements, StorageElements - 12, [4, 3], [1, 4]), storageBytes: StorageElements * 4, deflate: true,
            tail: System.Runtime.InteropServices.MemoryMarshal.AsBytes(last.AsSpan()).ToArray());

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        float[] values = PyTorchCheckpoint.ReadStateDict(path)["weight"].ToArray<float>();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        // Row i, column j is storage element (StorageElements - 12) + i + 4j, i.e. last[i + 4j].
        Assert.Equal([1f, 5f, 9f, 2f, 6f, 10f, 3f, 7f, 11f, 4f, 8f, 12f], values);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_strided_view_wider_than_the_read_window_gathers_every_element(bool seekable)
    {
        // Storage element i holds i; the view spans 6,000,008 elements (24 MB), more than one 16 MiB window.
        const int StorageElements = 6_000_008;
        var storageBytes = new byte[StorageElements * 4];
        for (int i = 0; i < StorageElements; i++)
            BitConverter.TryWriteBytes(storageBytes.AsSpan(i * 4), (float)i);
        var tensor = new TensorReference(new StorageReference("0", TensorElementType.Float32, StorageElements), 7, [3, 2], [2_000_000, 1_000_001]);
        using var storage = seekable ? new MemoryStream(storageBytes) : (Stream)new BufferedStream(new NonSeekable(storageBytes));

        float[] values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Gather(storage)).ToArray();

        Assert.Equal([7f, 1_000_008f, 2_000_007f, 3_000_008f, 4_000_007f, 5_000_008f], values);
    }

    [Fact]
    public void An_archive_of_more_records_than_any_model_has_is_refused_before_its_directory_is_read()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("records.pth");
        using (var archive = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
        {
            // One record per storage, plus data.pkl, version and byteorder.
            for (int i = 0; i < CheckpointLimits.MaxTensors + 4; i++)
                archive.CreateEntry($"archive/data/{i}", CompressionLevel.NoCompression);
        }

        var error = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(path));

        Assert.StartsWith($"{path}: the archive declares {CheckpointLimits.MaxTensors + 4} records in a ", error.Message, StringComparison.Ordinal);
    }

    /// <param name="tail">The storage's last bytes; zeros before them.</param>
    private static void WriteArchive(string path, byte[] pickle, long storageBytes, bool deflate = false, byte[]? tail = null)
    {
        using var archive = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        using (var data = archive.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
            data.Write(pickle);
        using var storage = archive.CreateEntry("archive/data/0", deflate ? CompressionLevel.Fastest : CompressionLevel.NoCompression).Open();
        var zeros = new byte[1 << 20];
        for (long left = storageBytes - (tail?.Length ?? 0); left > 0; left -= zeros.Length)
            storage.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        storage.Write(tail);
    }

    /// <summary>A stream that can only be read forward, as an inflating zip record is.</summary>
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }

    [Fact]
    public void Truncated_legacy_data_says_how_much_is_missing()
    {
        string path = CheckpointFixtures.PathOf("truncated_data.legacy.pth");

        var error = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(path));

        Assert.Matches(@": truncated: storage '\d+' needs \d+ bytes at byte \d+; the file ends at \d+\.$", error.Message);
    }

    [Fact]
    public void A_storage_record_missing_from_the_archive_is_named()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("dtypes.zip.pth");
        File.Copy(CheckpointFixtures.PathOf("dtypes.zip.pth"), path);
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Update))
            archive.GetEntry("dtypes.zip/data/3")!.Delete();

        var error = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(path));

        Assert.Equal($"{path}: storage record 'dtypes.zip/data/3' is missing from the archive.", error.Message);
    }

    [Fact]
    public void An_archive_with_a_record_twice_is_refused_naming_it()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("twice.pth");
        File.Copy(CheckpointFixtures.PathOf("dtypes.zip.pth"), path);
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            using var record = archive.CreateEntry("dtypes.zip/data/3").Open();
            record.Write(new byte[16]);
        }

        var error = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(path));

        Assert.Equal($"{path}: the archive holds two records named 'dtypes.zip/data/3'; torch.save writes each once.", error.Message);
    }

    [Fact]
    public void A_big_endian_archive_is_refused()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("big.pth");
        File.Copy(CheckpointFixtures.PathOf("dtypes.zip.pth"), path);
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            using var record = archive.CreateEntry("dtypes.zip/byteorder").Open();
            record.Write("big"u8);
        }

        var error = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(path));

        Assert.Equal($"{path}: big-endian storages (byteorder record is not 'little') are not supported.", error.Message);
    }

    [Fact]
    public void Files_that_are_not_checkpoints_get_a_clear_error()
    {
        using var directory = new TemporaryDirectory();
        string text = directory.File("notes.txt"), empty = directory.File("empty.pth"), absent = directory.File("absent.pth");
        File.WriteAllText(text, "hello");
        File.WriteAllBytes(empty, []);

        Assert.Equal($"{text}: not a PyTorch checkpoint: neither a zip archive (torch.save since 1.6) nor a legacy torch.save pickle.",
            Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(text)).Message);
        Assert.Equal($"{empty}: empty file.", Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(empty)).Message);
        Assert.Equal($"{absent}: does not exist", Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(absent)).Message);
    }
}

using System.Diagnostics;
using DctNet.Frequency.Channels;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Tests.IO;

/// <summary>Every input file is opened as images are: a FIFO, a device or a folder is refused by name, a small file's size is capped.</summary>
public sealed class InputFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dctnet-input-files-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathIn(string name) => Path.Combine(_folder, name);

    private string Fifo(string name)
    {
        string path = PathIn(name);
        using var process = Process.Start("mkfifo", [path])!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return path;
    }

    [Fact]
    public async Task A_fifo_is_refused_by_every_reader_without_blocking()
    {
        string fifo = Fifo("input");
        Action[] readers =
        [
            () => FileProbe.OpenRead(fifo).Dispose(),
            () => FileProbe.ReadAllText(fifo, 1024),
            () => Npy.ReadFile(fifo),
            () => ChannelStatistics.Load(fifo),
            () => ChannelSubset.Parse(fifo),
        ];
        foreach (var read in readers)
        {
            var refusal = await Task.Run(() => Assert.Throws<FileRefusedException>(read)).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal($"{fifo}: a FIFO (named pipe), not a regular file", refusal.Message);
        }
    }

    [Fact]
    public void A_device_a_folder_and_a_missing_file_are_refused_by_what_they_are()
    {
        Assert.Equal("/dev/zero: a character device, not a regular file", Assert.Throws<FileRefusedException>(() => ChannelStatistics.Load("/dev/zero")).Message);
        Assert.Equal($"{_folder}: a folder, not a regular file", Assert.Throws<FileRefusedException>(() => Npy.ReadFile(_folder)).Message);
        string missing = PathIn("stats.json");
        Assert.Equal($"{missing}: does not exist", Assert.Throws<FileRefusedException>(() => ChannelStatistics.Load(missing)).Message);
    }

    [Fact]
    public void A_text_file_over_its_cap_is_refused_before_it_is_read()
    {
        string path = PathIn("big.json");
        using (var file = File.Create(path))
            file.SetLength(ChannelStatistics.MaxFileBytes + 1L); // sparse: nothing is written, nothing need be read
        var refusal = Assert.Throws<FileRefusedException>(() => ChannelStatistics.Load(path));
        Assert.StartsWith($"{path}: 1,048,577 bytes, more than the 1,048,576", refusal.Message, StringComparison.Ordinal);

        File.WriteAllText(path, "\uFEFFcaf\u00e9");
        Assert.Equal("caf\u00e9", FileProbe.ReadAllText(path, 16)); // the byte order mark is read as one, not as text
    }

    [Fact]
    public void A_npy_declaring_more_data_than_the_caller_holds_is_refused_before_allocating()
    {
        string path = PathIn("huge.npy");
        // A version 1.0 header padded to 128 bytes, then the data the shape declares, sparsely (no byte is written).
        string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (8192, 8192, 8), }".PadRight(128 - 10 - 1) + "\n";
        using (var file = File.Create(path))
        {
            file.Write([0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. System.Text.Encoding.ASCII.GetBytes(header)]);
            file.SetLength(128 + 8192L * 8192 * 8 * 4);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var refusal = Assert.Throws<InvalidDataException>(() => Npy.ReadFile(path, maxDataBytes: 256L << 20));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal($"{path}: shape (8192, 8192, 8) of '<f4' declares 2,147,483,648 data bytes, more than the 268,435,456 read here.", refusal.Message);
    }

    [Fact]
    public void A_full_disk_is_recognized_through_the_message_that_names_the_target()
    {
        var full = new IOException("No space left on device : '/out/.a.npy.1.tmp'", 28);
        var named = AtomicFile.NotWritten("/out/a.npy", full);
        Assert.Equal("/out/a.npy: not written (No space left on device); it keeps its previous content, if it had any.", named.Message);
        Assert.True(IOFailure.IsDiskFull(named));
        Assert.False(IOFailure.IsDiskFull(AtomicFile.NotWritten("/out/a.npy", new IOException("Permission denied", 13))));
    }
}

using DctNet.Data;
using DctNet.Frequency.IO;

namespace DctNet.Tests.Data;

public class ClassLabelsTests
{
    [Fact]
    public void ImageNet_has_1000_classes_in_wnid_order()
    {
        var labels = ClassLabels.ImageNet;
        Assert.Equal(1000, labels.Count);
        Assert.Equal("tench", labels[0]);
        Assert.Equal("goldfish", labels[1]);
        Assert.Equal("great white shark", labels[2]);
        Assert.Equal("toilet tissue", labels[999]);
    }

    [Fact]
    public void Labels_file_skips_comments_and_keeps_names_after_a_tab()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["# classes", "ants", "", "n02206856\tbees"]);
            Assert.Equal(["ants", "bees"], ClassLabels.Load(path).Names);
            Assert.Equal("class 7", ClassLabels.Load(path)[7]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_fifo_a_device_or_an_oversized_file_is_refused_by_name_without_being_read()
    {
        string folder = Directory.CreateTempSubdirectory("dctnet-labels-").FullName;
        try
        {
            string fifo = Path.Combine(folder, "labels.txt"), big = Path.Combine(folder, "big.txt");
            using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])!)
                await mkfifo.WaitForExitAsync();
            using (var file = File.Create(big))
                file.SetLength(ClassLabels.MaxFileBytes + 1L);

            var blocked = await Task.Run(() => Assert.Throws<FileRefusedException>(() => ClassLabels.Load(fifo))).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal($"{fifo}: a FIFO (named pipe), not a regular file", blocked.Message);
            // /dev/zero has no end: read line by line it filled memory.
            Assert.Equal("/dev/zero: a character device, not a regular file", Assert.Throws<FileRefusedException>(() => ClassLabels.Load("/dev/zero")).Message);
            Assert.StartsWith($"{big}: 16,777,217 bytes, more than the 16,777,216", Assert.Throws<FileRefusedException>(() => ClassLabels.Load(big)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Lines_end_as_any_system_ends_them()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "ants\r\nbees\rwasps\n");
            Assert.Equal(["ants", "bees", "wasps"], ClassLabels.Load(path).Names);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using DctNet.Frequency.IO;
using DctNet.Fuzz;

namespace DctNet.Cli.Tests.Commands;

/// <summary>Image inputs that are not images, folders that loop, names that could forge lines, outputs that are the input (issue 11).</summary>
public sealed class HostileImageInputTests : IDisposable
{
    private static readonly string[] SmallGeometry = ["--resize", "64", "--crop", "48"];

    private readonly CliHarness _harness = new();

    public void Dispose() => FuzzCorpus.Delete(_harness.Temp); // rm -rf: a name that is not UTF-8 is beyond Directory.Delete

    [Fact]
    public async Task A_fifo_named_like_an_image_is_refused_at_once_alone_and_in_a_folder()
    {
        string fifo = _harness.PathIn("in", "photo.jpg");
        Directory.CreateDirectory(_harness.PathIn("in"));
        HostileFiles.MakeFifo(fifo);
        _harness.CopyImage("png_rgb.png", "in/good.png");

        var alone = await Task.Run(() => CliHarness.Run("transform", fifo, "--out", _harness.PathIn("photo.npy"))).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExitCodes.Failure, alone.ExitCode);
        Assert.Equal([$"error: {fifo}: a FIFO (named pipe), not a regular file"], alone.ErrorLines);
        Assert.False(File.Exists(_harness.PathIn("photo.npy")));

        var folder = await Task.Run(() => CliHarness.Run(["transform", _harness.PathIn("in"), "--out", _harness.PathIn("out"), .. SmallGeometry]))
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExitCodes.Failure, folder.ExitCode);
        Assert.Equal(["good.npy"], CliHarness.FilesBelow(_harness.PathIn("out")));
        Assert.Contains($"error: {fifo}: a FIFO (named pipe), not a regular file; skipped.", folder.ErrorLines);
        Assert.Contains("error: 1 of 2 images failed:", folder.ErrorLines);
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("exact")]
    public void Truncated_corrupt_and_non_jpeg_files_fail_by_name_under_either_pipeline_and_write_nothing(string pipeline)
    {
        string good = _harness.CopyImage("jpeg_420.jpg", "in/good.jpg");
        var whole = File.ReadAllBytes(good);
        _harness.Write("in/cut.jpg", whole[..(whole.Length / 2)]);
        var corrupt = (byte[])whole.Clone();
        Array.Fill(corrupt, (byte)0xFF, whole.Length / 3, 64);
        _harness.Write("in/corrupt.jpg", corrupt);
        _harness.Write("in/text.jpg", "not an image at all"u8.ToArray());
        _harness.Write("in/empty.jpg", []);
        // Stray bytes between the scan and the end marker: libjpeg warns, and no coefficient is lost.
        _harness.Write("in/stray.jpg", [.. whole[..^2], 0x01, 0x02, 0xFF, 0xD9]);

        var result = CliHarness.Run(["transform", _harness.PathIn("in"), "--out", _harness.PathIn("out"), "--pipeline", pipeline, .. SmallGeometry]);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal(["good.npy", "stray.npy"], CliHarness.FilesBelow(_harness.PathIn("out")));
        foreach (string bad in new[] { "corrupt.jpg", "cut.jpg", "empty.jpg", "text.jpg" })
            Assert.Single(result.ErrorLines, line => line.StartsWith($"error: {_harness.PathIn("in", bad)}: ", StringComparison.Ordinal));
        Assert.Contains("error: 4 of 6 images failed:", result.ErrorLines);
    }

    [Fact]
    public void A_device_is_refused_by_name_and_through_a_link()
    {
        File.CreateSymbolicLink(_harness.PathIn("zero.jpg"), "/dev/zero");
        foreach (string input in new[] { "/dev/zero", _harness.PathIn("zero.jpg") })
        {
            var result = CliHarness.Run("transform", input, "--out", _harness.PathIn("zero.npy"));
            Assert.Equal(ExitCodes.Failure, result.ExitCode);
            Assert.Equal([$"error: {input}: a character device, not a regular file"], result.ErrorLines);
        }
        Assert.False(File.Exists(_harness.PathIn("zero.npy")));
    }

    [Fact]
    public void Link_loops_are_not_entered_unless_asked_and_then_end_with_each_image_once()
    {
        _harness.CopyImage("png_rgb.png", "in/sub/b.png");
        Directory.CreateSymbolicLink(_harness.PathIn("in", "self"), ".");
        Directory.CreateSymbolicLink(_harness.PathIn("in", "sub", "up"), "..");
        Directory.CreateSymbolicLink(_harness.PathIn("in", "sub", "again"), ".");

        var plain = CliHarness.Run(["transform", _harness.PathIn("in"), "--out", _harness.PathIn("plain"), .. SmallGeometry]);
        Assert.True(plain.ExitCode == ExitCodes.Success, plain.ToString());
        Assert.Equal(["sub/b.npy"], CliHarness.FilesBelow(_harness.PathIn("plain")));

        var followed = CliHarness.Run(["transform", _harness.PathIn("in"), "--out", _harness.PathIn("followed"), "--follow-links", .. SmallGeometry]);
        Assert.True(followed.ExitCode == ExitCodes.Success, followed.ToString());
        Assert.Equal(["sub/b.npy"], CliHarness.FilesBelow(_harness.PathIn("followed")));

        var stats = CliHarness.Run(["stats", "--data", _harness.PathIn("in"), "--out", _harness.PathIn("stats.json"), "--follow-links", .. SmallGeometry]);
        Assert.True(stats.ExitCode == ExitCodes.Success, stats.ToString());
        Assert.Contains("statistics of 1 of 1 images", stats.Out);
    }

    [Fact]
    public void A_folder_with_only_links_to_folders_says_so_in_one_line()
    {
        Directory.CreateDirectory(_harness.PathIn("in"));
        Directory.CreateSymbolicLink(_harness.PathIn("in", "elsewhere"), CliHarness.Images);

        var result = CliHarness.Run("transform", _harness.PathIn("in"), "--out", _harness.PathIn("out"));

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("1 links to folders were not followed (--follow-links enters them)", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(_harness.PathIn("out")));
    }

    [Fact]
    public void Control_characters_in_names_print_escaped_on_the_one_line_they_belong_to()
    {
        string forged = _harness.Write("a\nerror: forged\u001b[2K.jpg", "not an image"u8.ToArray());
        string good = _harness.CopyImage("png_rgb.png", "b\rc.png");

        var failed = CliHarness.Run("transform", forged, "--out", _harness.PathIn("a.npy"));
        Assert.Equal(ExitCodes.Failure, failed.ExitCode);
        string line = Assert.Single(failed.ErrorLines);
        Assert.Equal($"error: {FileNames.Printable(forged)}: unrecognised image format (supported: JPEG, PNG, BMP, WebP)", line);
        Assert.Contains(@"a\nerror: forged\x1b[2K.jpg", line);

        var written = CliHarness.Run(["transform", good, "--out", _harness.PathIn("b.npy"), .. SmallGeometry]);
        Assert.True(written.ExitCode == ExitCodes.Success, written.ToString());
        Assert.StartsWith(FileNames.Printable(good) + " -> ", written.Out, StringComparison.Ordinal);
        Assert.Contains(@"b\rc.png", written.Out);
    }

    [Fact]
    public void A_name_that_is_not_utf8_is_reported_as_such_alone_and_in_a_folder()
    {
        Directory.CreateDirectory(_harness.PathIn("in"));
        string spelled = HostileFiles.WriteWithRawName(_harness.PathIn("in"), [.. "caf"u8, 0xE9, .. ".png"u8], File.ReadAllBytes(CliHarness.PathOfImage("png_rgb.png")));
        _harness.CopyImage("png_rgb.png", "in/good.png");

        var alone = CliHarness.Run("transform", spelled, "--out", _harness.PathIn("cafe.npy"));
        Assert.Equal(ExitCodes.Usage, alone.ExitCode);
        Assert.Contains(FileNames.UndecodableReason, Assert.Single(alone.ErrorLines));
        Assert.Contains(@"caf\uFFFD.png", alone.Error);

        var folder = CliHarness.Run(["transform", _harness.PathIn("in"), "--out", _harness.PathIn("out"), .. SmallGeometry]);
        Assert.Equal(ExitCodes.Failure, folder.ExitCode);
        Assert.Equal(["good.npy"], CliHarness.FilesBelow(_harness.PathIn("out")));
        Assert.Contains($"error: {FileNames.Printable(spelled)}: {FileNames.UndecodableReason}; skipped.", folder.ErrorLines);
    }

    [Fact]
    public void An_output_that_is_the_input_is_a_usage_error_however_it_is_spelled()
    {
        string source = _harness.CopyImage("png_rgb.png", "photo.png");
        byte[] original = File.ReadAllBytes(source);
        Directory.CreateDirectory(_harness.PathIn("sub"));
        File.CreateSymbolicLink(_harness.PathIn("link.npy"), "photo.png");

        foreach (string output in new[] { source, _harness.PathIn("sub", "..", "photo.png"), _harness.PathIn("link.npy") })
        {
            var result = CliHarness.Run("transform", source, "--out", output);
            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.StartsWith($"error: --out '{output}' is the input {source} itself", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        }
        Assert.Equal(original, File.ReadAllBytes(source));

        var stats = CliHarness.Run("stats", "--data", _harness.Temp, "--out", source);
        Assert.Equal(ExitCodes.Usage, stats.ExitCode);

        // Checked before the weights are even looked for: detect's picture of photo.png is DIR/photo.png.
        var detect = CliHarness.Run("detect", "--model", "fasterrcnn-r50-fpn", "--weights", _harness.PathIn("absent.pth"), source, "--out", _harness.Temp);
        Assert.Equal(ExitCodes.Usage, detect.ExitCode);
        Assert.StartsWith($"error: --out '{source}' is the input {source} itself", Assert.Single(detect.ErrorLines), StringComparison.Ordinal);

        var predict = CliHarness.Run("predict", "--model", "resnet18", "--weights", _harness.PathIn("absent.pth"), source, "--logits", source);
        Assert.Equal(ExitCodes.Usage, predict.ExitCode);
        Assert.StartsWith($"error: --logits '{source}' is the input {source} itself", Assert.Single(predict.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(original, File.ReadAllBytes(source));
    }

    [Fact]
    public void A_header_declaring_too_many_pixels_is_refused_before_the_file_is_read()
    {
        // A PNG header declaring 100000 x 100000, then a sparse gigabyte and a half that must not be read.
        string path = _harness.PathIn("huge.png");
        using (var file = File.Create(path))
        {
            file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, .. "IHDR"u8, 0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0]);
            file.SetLength(3L << 29);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = CliHarness.Run("transform", path, "--out", _harness.PathIn("huge.npy"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Contains("100000x100000 = 10,000,000,000 pixels exceeds the limit", Assert.Single(result.ErrorLines));
        Assert.True(allocated < 64 << 20, $"{allocated:N0} bytes allocated");
    }
}

using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;

namespace DctNet.Cli.Tests.Commands;

public sealed class FolderTransformTests : IDisposable
{
    /// <summary>A valid 1x1 GIF: GIF is an accepted extension but not a supported format (OpenCV 4.6 cannot read it).</summary>
    private static readonly byte[] Gif =
    [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ];

    private readonly CliHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static readonly string[] SmallGeometry = ["--resize", "64", "--crop", "48"];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Good_images_are_mirrored_and_bad_ones_reported(int threads)
    {
        _harness.CopyImage("jpeg_420.jpg", "in/a.jpg");
        _harness.CopyImage("png_rgb.png", "in/sub/deeper/b.png");
        _harness.CopyImage("webp_lossy.webp", "in/sub/c.WEBP");
        _harness.CopyImage("bmp_rgb24.bmp", "in/d.bmp");
        _harness.CopyImage("jpeg_progressive.jpg", "in/sub/e.JPEG");
        _harness.Write("in/x.png", "this is not a PNG"u8.ToArray());
        _harness.Write("in/x.jpg", []);
        _harness.Write("in/text.png", "neither is this"u8.ToArray());
        _harness.Write("in/sub/anim.gif", Gif);
        _harness.Write("in/notes.txt", "ignored: not an image extension"u8.ToArray());
        string input = _harness.PathIn("in");
        string output = _harness.PathIn("out");

        var result = CliHarness.Run(["transform", input, "--out", output, "--threads", threads.ToString(), .. SmallGeometry]);

        Assert.True(result.ExitCode == ExitCodes.Failure, result.ToString());
        Assert.Equal(["a.npy", "d.npy", "sub/c.npy", "sub/deeper/b.npy", "sub/e.npy"], CliHarness.FilesBelow(output));
        foreach (string bad in new[] { "x.jpg", "x.png", "text.png", Path.Combine("sub", "anim.gif") })
            Assert.Contains(result.ErrorLines, line => line.StartsWith($"error: {Path.Combine(input, bad)}: ", StringComparison.Ordinal));
        Assert.Contains("error: 4 of 9 images failed:", result.Error);
        Assert.DoesNotContain("notes.txt", result.Error);
        Assert.Contains("transformed 5 of 9 images", result.Out);

        var expected = new DctTransform(new CropGeometry(64, 48), ChannelSubset.BuiltIn(24), ChannelStatistics.ImageNet)
            .Transform(new ImageDecoder().DecodeFile(CliHarness.PathOfImage("png_rgb.png")));
        var written = Npy.ReadFile(Path.Combine(output, "sub", "deeper", "b.npy"));
        Assert.Equal([24, 6, 6], written.Shape);
        Assert.Equal(expected, written.AsFloat32());
    }

    [Fact]
    public void Two_inputs_with_one_output_fail_the_second_instead_of_overwriting()
    {
        _harness.CopyImage("jpeg_420.jpg", "in/a.jpg");
        _harness.CopyImage("png_rgb.png", "in/a.png");
        string input = _harness.PathIn("in");
        string output = _harness.PathIn("out");

        var result = CliHarness.Run(["transform", input, "--out", output, "--raw", .. SmallGeometry]);

        Assert.True(result.ExitCode == ExitCodes.Failure, result.ToString());
        Assert.Equal(["a.npy"], CliHarness.FilesBelow(output));
        Assert.Contains(result.ErrorLines, line => line.StartsWith($"error: {Path.Combine(input, "a.png")}: same output", StringComparison.Ordinal));
        var fromJpeg = new DctTransform(new CropGeometry(64, 48), ChannelSubset.BuiltIn(24), null)
            .Transform(new ImageDecoder().DecodeFile(Path.Combine(input, "a.jpg")));
        Assert.Equal(fromJpeg, Npy.ReadFile(Path.Combine(output, "a.npy")).AsFloat32());
    }

    [Fact]
    public void A_folder_of_good_images_succeeds_with_a_summary_line()
    {
        foreach (string name in new[] { "jpeg_420.jpg", "jpeg_gray.jpg", "png_rgba.png", "webp_lossless.webp" })
            _harness.CopyImage(name, Path.Combine("in", name));
        string output = _harness.PathIn("out");

        var result = CliHarness.Run(["transform", _harness.PathIn("in"), "--out", output, "--threads", "2", .. SmallGeometry]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        Assert.Equal(["jpeg_420.npy", "jpeg_gray.npy", "png_rgba.npy", "webp_lossless.npy"], CliHarness.FilesBelow(output));
        Assert.Single(result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("transformed 4 of 4 images", result.Out);
    }

    [Fact]
    public void A_folder_without_images_is_a_failure()
    {
        _harness.Write("in/readme.txt", "no images here"u8.ToArray());

        var result = CliHarness.Run("transform", _harness.PathIn("in"), "--out", _harness.PathIn("out"));

        Assert.True(result.ExitCode == ExitCodes.Failure, result.ToString());
        Assert.Contains("no image files", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void A_folder_input_needs_an_output_folder_not_a_file()
    {
        _harness.CopyImage("jpeg_420.jpg", "in/a.jpg");
        string file = _harness.Write("out.npy", [1]);

        var result = CliHarness.Run("transform", _harness.PathIn("in"), "--out", file);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Single(result.ErrorLines);
    }

    /// <summary>
    /// A real full disk (a tmpfs of two pages, in a user and mount namespace of its own): the folder run stops at the
    /// first image that does not fit, with one line naming its target - not the temporary file - and not one per image left.
    /// </summary>
    [TmpfsFact]
    public void A_full_disk_stops_a_folder_run_with_one_line()
    {
        for (int i = 0; i < 8; i++)
            _harness.CopyImage("png_rgb.png", $"in/{i}.png");
        string mount = Directory.CreateDirectory(_harness.PathIn("disk")).FullName;
        string report = Directory.CreateDirectory(_harness.PathIn("report")).FullName;
        string script = _harness.PathIn("full-disk.sh");
        File.WriteAllText(script, """
            set -u
            export LC_ALL=C
            mount=$1 input=$2 report=$3 host=$4 dll=$5
            mount -t tmpfs -o size=8k tmpfs "$mount" || exit 90
            "$host" exec "$dll" transform "$input" --out "$mount/out" --resize 64 --crop 48 --threads 2 > "$report/out" 2> "$report/err"
            echo $? > "$report/exit"
            ls -A "$mount/out" > "$report/files"
            """);
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        var start = new System.Diagnostics.ProcessStartInfo("unshare") { RedirectStandardError = true };
        foreach (string argument in (string[])["--user", "--map-root-user", "--mount", "bash", script, mount, _harness.PathIn("in"), report, host, typeof(DctNetCli).Assembly.Location])
            start.ArgumentList.Add(argument);
        using (var namespaced = System.Diagnostics.Process.Start(start)!)
        {
            string errors = namespaced.StandardError.ReadToEnd();
            namespaced.WaitForExit();
            Assert.True(namespaced.ExitCode == 0, $"the full-disk script failed with {namespaced.ExitCode}: {errors}");
        }
        string Read(string name) => File.ReadAllText(Path.Combine(report, name));

        Assert.Equal("1", Read("exit").Trim());
        string error = Assert.Single(Read("err").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        string[] files = Read("files").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(files.Length, 1, 7);
        Assert.All(files, file => Assert.EndsWith(".npy", file, StringComparison.Ordinal)); // no temporary file is left
        Assert.Matches($"^error: {System.Text.RegularExpressions.Regex.Escape(mount)}/out/[0-7]\\.npy: not written \\(No space left on device\\); "
            + $".* Stopped after writing {files.Length} of 8 files, which are complete\\.$", error);
    }
}

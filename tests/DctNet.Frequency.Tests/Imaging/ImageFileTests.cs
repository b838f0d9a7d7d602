using System.Buffers.Binary;
using System.Diagnostics;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;
using SkiaSharp;

namespace DctNet.Frequency.Tests.Imaging;

/// <summary>Files are judged before they are read (type, header, size), folders are walked without following links, names print safely.</summary>
public sealed class ImageFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dctnet-image-files-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathIn(params string[] parts) => Path.Combine([_folder, .. parts]);

    private static string Refusal(string path, long maxPixels = ImageDecoder.DefaultMaxPixels)
    {
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(maxPixels).DecodeFile(path));
        Assert.Equal(path, error.Source);
        return error.Problem;
    }

    /// <summary>Managed bytes allocated by <paramref name="action"/> on this thread (whatever it throws).</summary>
    private static long AllocatedBy(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            action();
        }
        catch (ImageDecodeException)
        {
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void MakeFifo(string path)
    {
        using var process = Process.Start("mkfifo", [path])!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public void A_character_device_is_refused_without_reading_it()
        => Assert.Equal("a character device, not a regular file", Refusal("/dev/zero"));

    [Fact]
    public async Task A_fifo_is_refused_without_opening_it()
    {
        string fifo = PathIn("photo.jpg");
        MakeFifo(fifo);
        // Opening a FIFO for reading blocks until a writer comes: a decoder that opened it would never return.
        string refusal = await Task.Run(() => Refusal(fifo)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("a FIFO (named pipe), not a regular file", refusal);
    }

    [Fact]
    public void A_folder_and_links_that_lead_nowhere_are_refused_by_what_they_are()
    {
        Directory.CreateDirectory(PathIn("album.jpg"));
        File.CreateSymbolicLink(PathIn("ghost.jpg"), "missing.jpg");
        File.CreateSymbolicLink(PathIn("loop.jpg"), "loop.jpg");
        File.CreateSymbolicLink(PathIn("zero.jpg"), "/dev/zero");

        Assert.Equal("a folder, not a regular file", Refusal(PathIn("album.jpg")));
        Assert.Equal("a symbolic link whose target does not exist", Refusal(PathIn("ghost.jpg")));
        Assert.StartsWith("a symbolic link that cannot be followed", Refusal(PathIn("loop.jpg")), StringComparison.Ordinal);
        Assert.Equal("a character device, not a regular file", Refusal(PathIn("zero.jpg")));
        Assert.Equal("does not exist", Refusal(PathIn("nowhere.jpg")));
    }

    [Fact]
    public void A_name_that_is_not_utf8_is_said_to_be_so_not_missing()
        => Assert.Equal(FileNames.UndecodableReason, Refusal(PathIn("caf\uFFFD.jpg")));

    [Fact]
    public void A_sparse_gigabyte_file_is_judged_by_its_first_bytes()
    {
        string path = PathIn("big.jpg");
        using (var file = File.Create(path))
            file.SetLength(3L << 29);
        long allocated = AllocatedBy(() => Assert.Contains("unrecognised image format", Refusal(path)));
        Assert.True(allocated < ImageDecoder.HeaderWindow + (1 << 20), $"{allocated:N0} bytes allocated");
    }

    [Fact]
    public void A_jpeg_signature_without_a_frame_header_in_the_window_is_not_read_further()
    {
        string path = PathIn("big.jpg");
        using (var file = File.Create(path))
        {
            file.Write([0xFF, 0xD8, 0xFF]);
            file.SetLength(3L << 29);
        }
        Assert.StartsWith("no JPEG image size in the first 16 MiB", Refusal(path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_far_longer_than_its_declared_size_can_take_is_not_read()
    {
        // A real 4:2:0 JPEG followed by a gigabyte and a half: no 227x149 image needs that.
        string path = PathIn("padded.jpg");
        using (var file = File.Create(path))
        {
            file.Write(File.ReadAllBytes(Fixtures.PathOf("images/jpeg_420.jpg")));
            file.SetLength(3L << 29);
        }
        long allocated = AllocatedBy(() => Assert.Contains("is more than a JPEG image of", Refusal(path)));
        Assert.True(allocated < ImageDecoder.HeaderWindow + (1 << 20), $"{allocated:N0} bytes allocated");
    }

    [Theory]
    [InlineData("png")]
    [InlineData("bmp")]
    [InlineData("webp-lossless")]
    [InlineData("webp-extended")]
    [InlineData("jpeg")]
    public void A_declared_size_over_the_limit_is_refused_from_the_header_before_the_file_is_read(string format)
    {
        const int Side = 20_000; // 400 M pixels, over the default limit of 179 M
        byte[] header = format switch
        {
            "png" => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, .. "IHDR"u8, .. BigEndian(Side), .. BigEndian(Side), 8, 2, 0, 0, 0],
            "bmp" => [.. "BM"u8, .. new byte[12], 40, 0, 0, 0, .. LittleEndian(Side), .. LittleEndian(-Side), 1, 0, 24, 0],
            "webp-lossless" => [.. "RIFF"u8, 0, 0, 0, 0, .. "WEBPVP8L"u8, 5, 0, 0, 0, 0x2F, .. LittleEndian((16383 << 14) | 16383), 0],
            "webp-extended" => [.. "RIFF"u8, 0, 0, 0, 0, .. "WEBPVP8X"u8, 10, 0, 0, 0, 0, 0, 0, 0, 0x1F, 0x4E, 0, 0x1F, 0x4E, 0],
            _ => [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 17, 8, 0x4E, 0x20, 0x4E, 0x20, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1],
        };
        string path = PathIn("huge." + format);
        using (var file = File.Create(path))
        {
            file.Write(header);
            file.SetLength(ImageDecoder.HeaderWindow * 2L); // the rest must not be read
        }
        long allocated = AllocatedBy(() => Assert.Contains("exceeds the limit", Refusal(path)));
        Assert.True(allocated < ImageDecoder.HeaderWindow + (1 << 20), $"{allocated:N0} bytes allocated");
    }

    [Theory]
    [InlineData("bmp")]
    [InlineData("jpeg")]
    public void Skia_decodes_row_by_row_into_the_rgb_result_alone(string format)
    {
        // 1600 x 1200: the result is 5.76 MB; a whole RGBA intermediate would add 7.68 MB.
        const int Width = 1600, Height = 1200;
        byte[] data = format == "bmp" ? FlatBmp(Width, Height, 30, 200, 10) : FlatJpeg(Width, Height);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var image = new ImageDecoder(jpeg: JpegBackend.Skia).Decode(data, "flat." + format);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        if (format == "bmp")
            Assert.Equal([10, 200, 30], image.Pixels[^3..]);
        // A JPEG's entropy-coded data is first judged by a C# libjpeg (LibJpegNetEntropyDecoder.ThrowIfDamaged), whose
        // coefficient arrays take about 200 bytes per 8x8 block while it runs: 45,000 blocks here at 4:2:0.
        long judge = format == "jpeg" ? 45_000 * 200 : 0;
        Assert.True(allocated < Width * Height * 3 + judge + (1 << 20), $"{allocated:N0} bytes allocated for a {Width * Height * 3:N0}-byte image");
    }

    [Theory]
    [InlineData("png_rgb.png")]
    [InlineData("png_rgb16.png")]
    [InlineData("png_rgba.png")]
    [InlineData("png_gray.png")]
    [InlineData("png_palette.png")]
    [InlineData("png_small.png")]
    public void A_png_decoded_in_bands_equals_the_whole_decode(string fixture)
    {
        byte[] png = File.ReadAllBytes(Fixtures.PathOf("images/" + fixture));
        var banded = SkiaDecoder.Decode(png, fixture, ImageDecoder.DefaultMaxPixels, wholeDecodeLimit: 0);
        var whole = SkiaDecoder.Decode(png, fixture, ImageDecoder.DefaultMaxPixels, wholeDecodeLimit: long.MaxValue);
        Assert.Equal(whole.Pixels, banded.Pixels);
    }

    [Fact]
    public void A_large_png_is_decoded_in_bands_through_a_quarter_of_its_rgba()
    {
        const int Width = 1600, Height = 1200;
        using var bitmap = new SKBitmap(Width, Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        bitmap.Erase(new SKColor(10, 200, 30));
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        byte[] png = encoded.ToArray();

        long before = GC.GetAllocatedBytesForCurrentThread();
        var image = SkiaDecoder.Decode(png, "flat.png", ImageDecoder.DefaultMaxPixels, wholeDecodeLimit: 0);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal([10, 200, 30], image.Pixels[^3..]);
        long bound = Width * Height * 3 + Width * Height * 4 / SkiaDecoder.Bands + (1 << 20);
        Assert.True(allocated < bound, $"{allocated:N0} bytes allocated, more than {bound:N0}");
    }

    /// <summary>A bottom-up 24-bit BMP of one colour (stored B, G, R).</summary>
    private static byte[] FlatBmp(int width, int height, byte blue, byte green, byte red)
    {
        int stride = (width * 3 + 3) & ~3;
        var bmp = new byte[54 + stride * height];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        for (int i = 54; i + 2 < bmp.Length; i += 3)
            (bmp[i], bmp[i + 1], bmp[i + 2]) = (blue, green, red);
        return bmp;
    }

    private static byte[] FlatJpeg(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(10, 200, 30));
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return encoded.ToArray();
    }

    [Fact]
    public async Task The_walker_does_not_follow_folder_links_unless_asked_and_then_enters_each_folder_once()
    {
        File.Copy(Fixtures.PathOf("images/bmp_rgb24.bmp"), PathIn("a.bmp"));
        Directory.CreateDirectory(PathIn("sub", "deeper"));
        File.Copy(Fixtures.PathOf("images/png_rgb.png"), PathIn("sub", "deeper", "b.png"));
        Directory.CreateSymbolicLink(PathIn("self"), ".");
        Directory.CreateSymbolicLink(PathIn("sub", "deeper", "up"), "../..");
        Directory.CreateSymbolicLink(PathIn("sub", "again"), "deeper");
        File.CreateSymbolicLink(PathIn("sub", "linked.bmp"), "../a.bmp");

        var plain = ImageFiles.Find(_folder);
        Assert.Equal(["a.bmp", Path.Combine("sub", "deeper", "b.png"), Path.Combine("sub", "linked.bmp")], plain.Relative);
        Assert.Equal(3, plain.UnfollowedFolderLinks);
        Assert.Empty(plain.Skipped);

        // Followed, the loops end and sub/deeper is read once, under its own path rather than through sub/again.
        var followed = await Task.Run(() => ImageFiles.Find(_folder, followLinks: true)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(plain.Relative, followed.Relative);
        Assert.Equal(0, followed.UnfollowedFolderLinks);
    }

    [Fact]
    public async Task The_walker_skips_image_named_entries_that_are_not_regular_files_with_the_reason()
    {
        File.Copy(Fixtures.PathOf("images/bmp_rgb24.bmp"), PathIn("good.bmp"));
        MakeFifo(PathIn("pipe.jpg"));
        File.CreateSymbolicLink(PathIn("zero.png"), "/dev/zero");
        File.CreateSymbolicLink(PathIn("ghost.jpg"), "missing.jpg");
        File.CreateSymbolicLink(PathIn("notes.txt"), "/dev/zero"); // not named like an image: ignored, as before
        Directory.CreateDirectory(PathIn("folder.jpg"));

        var found = await Task.Run(() => ImageFiles.Find(_folder)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(["good.bmp"], found.Relative);
        Assert.Equal(
            [
                (PathIn("ghost.jpg"), "a symbolic link whose target does not exist"),
                (PathIn("pipe.jpg"), "a FIFO (named pipe), not a regular file"),
                (PathIn("zero.png"), "a character device (through a link), not a regular file"),
            ],
            found.Skipped.Select(s => (s.Path, s.Reason)));
    }

    [Fact]
    public void Printable_escapes_what_could_end_a_line_or_drive_a_terminal_and_keeps_the_rest()
    {
        Assert.Equal("caf\u00e9 photo.jpg", FileNames.Printable("caf\u00e9 photo.jpg"));
        Assert.Equal(@"a\nerror: forged.jpg", FileNames.Printable("a\nerror: forged.jpg"));
        Assert.Equal(@"\x1b[2K\r\tb\x7f\x85.png", FileNames.Printable("\u001b[2K\r\tb\u007f\u0085.png"));
        Assert.Equal(@"caf\uFFFD \u202Egpj.exe", FileNames.Printable("caf\uFFFD \u202Egpj.exe"));
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] LittleEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }
}

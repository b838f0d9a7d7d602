using System.Buffers.Binary;
using System.Text;

namespace DctNet.Fuzz;

/// <summary>
/// Image inputs and folders that cost more than they hold or are not files at all: FIFOs, devices, sockets and links
/// to them, sparse gigabyte files, headers declaring sizes past the pixel limit, truncated and empty files, link loops,
/// names with control characters or invalid UTF-8, and outputs that are the input. Given to <c>transform</c>, <c>stats</c>
/// and <c>bench transform</c>, which would otherwise block, read gigabytes, walk forever or overwrite the source.
/// </summary>
internal static class ImageCases
{
    private const string Class = "images";
    private const long SparseBytes = 1536L << 20;

    public static IEnumerable<FuzzCase> Write(FuzzCorpus corpus)
    {
        byte[] tinyBmp = File.ReadAllBytes(corpus.SharedImage);

        // Not regular files: each must be refused without being opened (a FIFO would block, /dev/zero never ends).
        yield return Transform(corpus, "fifo-named-jpg", "photo.jpg", HostileFiles.MakeFifo);
        yield return Transform(corpus, "socket-named-png", "photo.png", HostileFiles.MakeSocket);
        yield return Transform(corpus, "link-to-dev-zero", "zero.jpg", path => File.CreateSymbolicLink(path, "/dev/zero"));
        yield return Transform(corpus, "link-to-fifo", "photo.jpg", path =>
        {
            HostileFiles.MakeFifo(Path.Combine(Path.GetDirectoryName(path)!, "pipe"));
            File.CreateSymbolicLink(path, "pipe");
        });
        yield return Transform(corpus, "dangling-link", "ghost.jpg", path => File.CreateSymbolicLink(path, "missing.jpg"));
        yield return Transform(corpus, "self-link", "self.jpg", path => File.CreateSymbolicLink(path, "self.jpg"));
        yield return Case(corpus, "dev-zero-argument", directory => ["transform", "/dev/zero", "--out", "zero.npy"], "/dev/zero");
        yield return Case(corpus, "empty-folder-named-jpg", directory =>
        {
            Directory.CreateDirectory(Path.Combine(directory, "album.jpg"));
            return ["transform", "album.jpg", "--out", "out"];
        }, "album.jpg");

        // Sizes: gigabytes that are not images, or images that say they are too big for the pixel limit.
        yield return Transform(corpus, "sparse-1.5-gib-jpg", "big.jpg", path => Sparse(path, []));
        yield return Transform(corpus, "jpeg-signature-then-1.5-gib", "big.jpg", path => Sparse(path, [0xFF, 0xD8, 0xFF]));
        yield return Transform(corpus, "jpeg-100x100-header-then-1.5-gib", "big.jpg", path => Sparse(path, JpegHeader(100, 100)));
        yield return Transform(corpus, "jpeg-declares-65535-squared", "huge.jpg", path => File.WriteAllBytes(path, JpegHeader(65535, 65535)));
        yield return Transform(corpus, "jpeg-declares-zero-width", "flat.jpg", path => File.WriteAllBytes(path, JpegHeader(0, 100)));
        yield return Transform(corpus, "png-declares-100000-squared", "huge.png", path => File.WriteAllBytes(path, PngHeader(100_000, 100_000)));
        yield return Transform(corpus, "png-declares-2-to-the-31-wide", "wide.png", path => File.WriteAllBytes(path, PngHeader(int.MinValue, 1)));
        yield return Transform(corpus, "png-13000-squared-truncated", "cut.png", path => File.WriteAllBytes(path, PngHeader(13_000, 13_000)));
        yield return Transform(corpus, "bmp-declares-million-squared", "huge.bmp", path => File.WriteAllBytes(path, BmpHeader(1_000_000, 1_000_000)));
        yield return Transform(corpus, "bmp-declares-minus-2-to-the-31-high", "tall.bmp", path => File.WriteAllBytes(path, BmpHeader(8, int.MinValue)));
        yield return Transform(corpus, "gif-declares-65535-squared", "huge.gif", path => File.WriteAllBytes(path, [.. "GIF89a"u8, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0]));
        yield return Transform(corpus, "webp-vp8x-canvas-16m-squared", "huge.webp", path => File.WriteAllBytes(path, WebPExtendedHeader(1 << 24, 1 << 24)));
        yield return Transform(corpus, "webp-vp8l-16384-squared", "huge.webp", path => File.WriteAllBytes(path, WebPLosslessHeader(16384, 16384)));

        // Short files.
        yield return Transform(corpus, "zero-byte-jpg", "empty.jpg", path => File.WriteAllBytes(path, []));
        yield return Transform(corpus, "truncated-bmp", "cut.bmp", path => File.WriteAllBytes(path, tinyBmp[..(tinyBmp.Length / 2)]));
        yield return Transform(corpus, "bmp-header-only", "header.bmp", path => File.WriteAllBytes(path, tinyBmp[..20]));

        // Names: control characters must print escaped on one line, a name that is not UTF-8 must say so.
        yield return Transform(corpus, "newline-forges-error-line", "a\nerror: forged.jpg", path => File.WriteAllText(path, "not an image"), @"a\nerror: forged.jpg");
        yield return Transform(corpus, "escape-sequence-clears-line", "\u001b[2K\rb.png", path => File.WriteAllText(path, "not an image"), @"\x1b[2K\rb.png");
        yield return Case(corpus, "name-not-utf8", directory =>
        {
            string spelled = HostileFiles.WriteWithRawName(directory, [.. "caf"u8, 0xE9, .. ".bmp"u8], tinyBmp);
            return ["transform", Path.GetFileName(spelled), "--out", "cafe.npy"];
        }, "not valid UTF-8");
        yield return Case(corpus, "folder-holding-only-a-name-not-utf8", directory =>
        {
            HostileFiles.WriteWithRawName(Directory.CreateDirectory(Path.Combine(directory, "in")).FullName, [.. "caf"u8, 0xE9, .. ".bmp"u8], tinyBmp);
            return ["transform", "in", "--out", "out"];
        }, "not valid UTF-8");
        yield return Transform(corpus, "name-of-250-characters", new string('n', 246) + ".jpg", path => File.WriteAllText(path, "not an image"));

        // Folders: loops of links end, non-regular files are never opened.
        yield return Case(corpus, "link-loops-not-followed", directory =>
        {
            string input = LinkLoops(directory);
            return ["transform", input, "--out", "out"];
        }, "--follow-links");
        yield return Case(corpus, "link-loops-followed", directory =>
        {
            string input = LinkLoops(directory);
            return ["stats", "--data", input, "--out", "stats.json", "--follow-links"];
        }, "no image files");
        yield return Case(corpus, "folder-holding-only-a-fifo", directory =>
        {
            HostileFiles.MakeFifo(Path.Combine(Directory.CreateDirectory(Path.Combine(directory, "in")).FullName, "photo.jpg"));
            return ["bench", "transform", "--data", "in"];
        }, "FIFO");
        yield return Case(corpus, "folder-holding-only-links-to-devices", directory =>
        {
            string input = Directory.CreateDirectory(Path.Combine(directory, "in")).FullName;
            File.CreateSymbolicLink(Path.Combine(input, "zero.png"), "/dev/zero");
            File.CreateSymbolicLink(Path.Combine(input, "null.jpg"), "/dev/null");
            return ["stats", "--data", "in", "--out", "stats.json"];
        }, "character device");

        // Outputs that are the input: refused before anything is read or written.
        yield return Case(corpus, "out-is-the-input", directory =>
        {
            File.WriteAllBytes(Path.Combine(directory, "photo.bmp"), tinyBmp);
            return ["transform", "photo.bmp", "--out", "photo.bmp"];
        }, "--out");
        yield return Case(corpus, "out-is-the-input-spelled-otherwise", directory =>
        {
            File.WriteAllBytes(Path.Combine(directory, "photo.bmp"), tinyBmp);
            Directory.CreateDirectory(Path.Combine(directory, "sub"));
            return ["transform", "photo.bmp", "--out", "sub/../photo.bmp"];
        }, "--out");
        yield return Case(corpus, "out-is-a-link-to-the-input", directory =>
        {
            File.WriteAllBytes(Path.Combine(directory, "photo.bmp"), tinyBmp);
            File.CreateSymbolicLink(Path.Combine(directory, "features.npy"), "photo.bmp");
            return ["transform", "photo.bmp", "--out", "features.npy"];
        }, "--out");
        yield return Case(corpus, "stats-out-is-an-input-image", directory =>
        {
            File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Path.Combine(directory, "in")).FullName, "photo.bmp"), tinyBmp);
            return ["stats", "--data", "in", "--out", "in/photo.bmp"];
        }, "--out");
    }

    /// <summary><c>transform FILE --out out.npy</c> on a file that <paramref name="make"/> puts in the case's folder.</summary>
    private static FuzzCase Transform(FuzzCorpus corpus, string name, string fileName, Action<string> make, string? printed = null)
        => Case(corpus, name, directory =>
        {
            make(Path.Combine(directory, fileName));
            return ["transform", fileName, "--out", "out.npy"];
        }, printed ?? fileName);

    private static FuzzCase Case(FuzzCorpus corpus, string name, Func<string, string[]> make, string mustMention)
    {
        string directory = corpus.CaseDirectory(Class, name);
        return new FuzzCase(Class, name, directory, make(directory), mustMention);
    }

    /// <summary>A file of <see cref="SparseBytes"/> that starts with <paramref name="head"/>: the rest is a hole, no disk used.</summary>
    private static void Sparse(string path, byte[] head)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.Write(head);
        file.SetLength(SparseBytes);
    }

    /// <summary>in/ with links back to itself and its parent at two depths, and no image: two loops that never end if followed.</summary>
    private static string LinkLoops(string directory)
    {
        string input = Directory.CreateDirectory(Path.Combine(directory, "in")).FullName;
        string deep = Directory.CreateDirectory(Path.Combine(input, "a", "b")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(input, "self"), ".");
        Directory.CreateSymbolicLink(Path.Combine(deep, "up"), "../..");
        Directory.CreateSymbolicLink(Path.Combine(deep, "case"), "../../..");
        return "in";
    }

    /// <summary>SOI, then a baseline frame header (SOF0) declaring the size, 3 components at 4:2:0; no tables, no scan.</summary>
    private static byte[] JpegHeader(int width, int height)
    {
        var sof = new byte[] { 0xFF, 0xC0, 0x00, 0x11, 0x08, 0, 0, 0, 0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01 };
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(7), (ushort)width);
        return [0xFF, 0xD8, .. sof];
    }

    /// <summary>Signature and IHDR (8-bit RGB) declaring the size, then a short IDAT of zero rows; CRCs left zero (libpng checks them late, if at all).</summary>
    private static byte[] PngHeader(int width, int height)
    {
        var png = new byte[33];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(png, 0);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(8), 13);
        "IHDR"u8.CopyTo(png.AsSpan(12));
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        png[24] = 8;
        png[25] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(12, 17)));
        var rows = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(rows, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(new byte[1 << 16]);
        byte[] idat = [.. "IDAT"u8, .. rows.ToArray()];
        var chunk = new byte[idat.Length + 8];
        BinaryPrimitives.WriteInt32BigEndian(chunk, idat.Length - 4);
        idat.CopyTo(chunk, 4);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(chunk.Length - 4), System.IO.Hashing.Crc32.HashToUInt32(idat));
        return [.. png, .. chunk];
    }

    /// <summary>BITMAPFILEHEADER + BITMAPINFOHEADER (24-bit) declaring the size, and no pixels.</summary>
    private static byte[] BmpHeader(int width, int height)
    {
        var bmp = new byte[54];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        return bmp;
    }

    private static byte[] WebPExtendedHeader(int width, int height)
    {
        var webp = Riff("VP8X", 10);
        webp[24] = (byte)(width - 1);
        webp[25] = (byte)((width - 1) >> 8);
        webp[26] = (byte)((width - 1) >> 16);
        webp[27] = (byte)(height - 1);
        webp[28] = (byte)((height - 1) >> 8);
        webp[29] = (byte)((height - 1) >> 16);
        return webp;
    }

    private static byte[] WebPLosslessHeader(int width, int height)
    {
        var webp = Riff("VP8L", 5);
        webp[20] = 0x2F;
        BinaryPrimitives.WriteUInt32LittleEndian(webp.AsSpan(21), (uint)(width - 1) | ((uint)(height - 1) << 14));
        return webp;
    }

    private static byte[] Riff(string chunk, int payload)
    {
        var webp = new byte[20 + payload + (payload & 1)];
        "RIFF"u8.CopyTo(webp);
        BinaryPrimitives.WriteInt32LittleEndian(webp.AsSpan(4), webp.Length - 8);
        "WEBP"u8.CopyTo(webp.AsSpan(8));
        Encoding.ASCII.GetBytes(chunk).CopyTo(webp, 12);
        BinaryPrimitives.WriteInt32LittleEndian(webp.AsSpan(16), payload);
        return webp;
    }
}

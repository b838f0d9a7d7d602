namespace DctNet.Fuzz;

/// <summary>Where a corpus is written, and the folders its cases own.</summary>
public sealed class FuzzCorpus(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Files several cases read and none writes (e.g. a valid image beside the hostile ones).</summary>
    public string Shared => System.IO.Directory.CreateDirectory(Path.Combine(Root, "shared")).FullName;

    /// <summary>A valid 8 x 8 BMP in <see cref="Shared"/>, for commands that need an image beside the hostile input.</summary>
    public string SharedImage
    {
        get
        {
            string path = Path.Combine(Shared, "tiny.bmp");
            if (!File.Exists(path))
                File.WriteAllBytes(path, TinyBmp());
            return path;
        }
    }

    /// <summary>A new, empty folder for one case.</summary>
    public string CaseDirectory(string caseClass, string name) => System.IO.Directory.CreateDirectory(Path.Combine(Root, caseClass, name)).FullName;

    /// <summary>Writes <paramref name="content"/> as <paramref name="fileName"/> in <paramref name="directory"/>; returns its full path.</summary>
    public static string WriteFile(string directory, string fileName, ReadOnlySpan<byte> content)
    {
        string path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, content.ToArray());
        return path;
    }

    /// <summary>BITMAPFILEHEADER + BITMAPINFOHEADER, 8 x 8 pixels of 24-bit grey (rows of 24 bytes need no padding).</summary>
    private static byte[] TinyBmp()
    {
        const int Width = 8, Height = 8, PixelBytes = Width * Height * 3, HeaderBytes = 14 + 40;
        var bmp = new byte[HeaderBytes + PixelBytes];
        var span = bmp.AsSpan();
        "BM"u8.CopyTo(span);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[2..], bmp.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[10..], HeaderBytes);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[14..], 40);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[18..], Width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[22..], Height);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(span[26..], 1);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(span[28..], 24);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[34..], PixelBytes);
        span[HeaderBytes..].Fill(128);
        return bmp;
    }

    /// <summary>
    /// Removes a corpus with rm -rf: .NET cannot name a file whose name is not UTF-8, and the corpus holds such files,
    /// FIFOs and directory loops.
    /// </summary>
    public static void Delete(string root)
    {
        using var remove = System.Diagnostics.Process.Start("rm", ["-rf", "--", root]);
        remove.WaitForExit();
    }

    /// <summary>
    /// Every class's cases, written below <see cref="Root"/>. Each class lives in its own file (CheckpointCases.cs, ...)
    /// and is listed here once.
    /// </summary>
    public IReadOnlyList<FuzzCase> WriteAll()
    {
        var writers = new Func<FuzzCorpus, IEnumerable<FuzzCase>>[]
        {
            CheckpointCases.Write,
            ImageCases.Write,
            NpyCases.Write,
            CocoCases.Write,
            CliCases.Write,
            InputFileCases.Write,
        };
        var cases = writers.SelectMany(write => write(this)).ToList();
        var duplicate = cases.GroupBy(c => c.ToString()).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Two fuzz cases are named {duplicate.Key}.");
        return cases;
    }
}

using System.Buffers.Binary;
using System.Text;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Tests.IO;

/// <summary>Hostile .npy headers (issue 11, class 3): each is refused with what is wrong before anything of its declared size is allocated.</summary>
public class NpyHeaderTests
{
    /// <summary>A .npy file with <paramref name="header"/> (padded and newline-terminated as numpy does) and <paramref name="data"/>.</summary>
    private static byte[] NpyBytes(string header, ReadOnlySpan<byte> data, int major = 1)
    {
        int lengthBytes = major == 1 ? 2 : 4;
        int unpadded = 8 + lengthBytes + header.Length + 1;
        header = header.PadRight(header.Length + (64 - unpadded % 64) % 64) + "\n";
        var bytes = new List<byte>([0x93, .. "NUMPY"u8, (byte)major, 0]);
        var length = new byte[lengthBytes];
        if (major == 1)
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        bytes.AddRange(length);
        bytes.AddRange(Encoding.UTF8.GetBytes(header));
        bytes.AddRange(data.ToArray());
        return [.. bytes];
    }

    private static string Refusal(byte[] file)
    {
        string path = Path.Combine(Path.GetTempPath(), $"dctnet-{Guid.NewGuid():N}.npy");
        try
        {
            File.WriteAllBytes(path, file);
            string message = Assert.Throws<InvalidDataException>(() => Npy.ReadFile(path)).Message;
            Assert.StartsWith(path + ": ", message);
            Assert.DoesNotContain('\n', message);
            return message;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static NpyArray Read(byte[] file)
    {
        using var stream = new MemoryStream(file);
        return Npy.Read(stream);
    }

    [Theory]
    [InlineData("(-1,)", "dimensions are whole numbers >= 0")]
    [InlineData("(2.5,)", "dimensions are whole numbers >= 0")]
    [InlineData("(3L,)", "dimensions are whole numbers >= 0")]
    [InlineData("(4294967296,)", "beyond 2147483647")]
    [InlineData("(99999999999999999999999999,)", "beyond 2147483647")]
    [InlineData("(2147483647, 2147483647, 2147483647)", "more than")]
    [InlineData("(40000, 40000)", "declares 6400000000 data bytes, but 4 follow")]
    [InlineData("('a',)", "something other than whole numbers")]
    [InlineData("[1]", "'shape' is not a tuple")]
    public void Bad_shapes_are_refused_by_what_is_wrong(string shape, string reason)
    {
        var file = NpyBytes($"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}", new byte[4]);
        Assert.Contains(reason, Refusal(file));
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, }", "no 'shape'")]
    [InlineData("{'fortran_order': False, 'shape': (1,), }", "no 'descr'")]
    [InlineData("{'descr': '<f4', 'shape': (1,), }", "no 'fortran_order'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "the key 'extra'")]
    [InlineData("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "'descr' twice")]
    [InlineData("{'descr': '<f4', 'fortran_order': 1, 'shape': (1,)}", "not True or False")]
    [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", "structured dtypes")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}", "unsupported dtype '>f4'")]
    [InlineData("{'descr': '|b1', 'fortran_order': False, 'shape': (4,)}", "unsupported dtype '|b1'")]
    [InlineData("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", "unsupported dtype '|O'")]
    [InlineData("['descr', '<f4']", "not a dict")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", "text after its closing")]
    [InlineData("{'descr': '<f4", "never closed")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1", "'shape' is not closed")]
    public void Bad_header_fields_are_refused_by_name(string header, string reason)
    {
        Assert.Contains(reason, Refusal(NpyBytes(header, new byte[4])));
    }

    [Fact]
    public void A_declared_size_beyond_the_file_is_refused_as_truncated()
    {
        var file = NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }", new byte[16]);
        Assert.Contains("truncated: shape (1000000000) of '<f8' declares 8000000000 data bytes, but 16 follow", Refusal(file));
    }

    [Fact]
    public void Data_beyond_the_declared_size_is_refused()
    {
        var file = NpyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", new byte[3]);
        Assert.Contains("declares 2 data bytes, but 3 follow", Refusal(file));
    }

    [Fact]
    public void A_header_length_beyond_the_file_or_numpys_limit_is_refused_before_reading()
    {
        byte[] beyondFile = [0x93, .. "NUMPY"u8, 2, 0, 0xff, 0xff, 0xff, 0x7f, .. "{}"u8];
        Assert.Contains("header length is 2147483647 bytes, but only 2 bytes follow", Refusal(beyondFile));
        var huge = NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" + new string(' ', 20_000), new byte[4], major: 2);
        Assert.Contains("more than numpy's limit of 10000", Refusal(huge));
    }

    [Theory]
    [InlineData(new byte[] { 0x93, (byte)'N', (byte)'U' })]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[0])]
    public void Truncated_or_foreign_magic_is_not_a_npy_file(byte[] file)
    {
        Assert.Contains("not a .npy file", Refusal(file));
    }

    [Theory]
    [InlineData(4, 0)]
    [InlineData(1, 1)]
    [InlineData(0, 0)]
    public void Unknown_versions_are_refused(byte major, byte minor)
    {
        byte[] file = [0x93, .. "NUMPY"u8, major, minor, 0, 0];
        Assert.Contains($"unsupported .npy version {major}.{minor}", Refusal(file));
    }

    [Fact]
    public void A_header_length_cut_short_is_truncated()
    {
        byte[] file = [0x93, .. "NUMPY"u8, 2, 0, 10];
        Assert.Contains("truncated inside its header length", Refusal(file));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Versions_1_2_and_3_read_alike(int major)
    {
        var array = Read(NpyBytes("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", [1, 0, 2, 0], major));
        Assert.Equal([2], array.Shape);
        Assert.Equal(new short[] { 1, 2 }, array.AsInt16());
    }

    [Fact]
    public void Scalars_and_empty_arrays_read_as_what_they_are()
    {
        var scalar = Read(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(2.5f)));
        Assert.Empty(scalar.Shape);
        Assert.Equal([2.5f], scalar.AsFloat32());
        var empty = Read(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", []));
        Assert.Equal([0], empty.Shape);
        Assert.Empty(empty.AsFloat32());
        var emptyRows = Read(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2147483647), }", []));
        Assert.Equal(0, emptyRows.ElementCount);
    }

    [Fact]
    public void Fortran_order_is_read_into_c_order()
    {
        // np.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4)) saved: its bytes list a[i, j, k] with i fastest.
        int[] c = [.. Enumerable.Range(0, 24)];
        var fortranBytes = new List<byte>();
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < 2; i++)
                    fortranBytes.AddRange(BitConverter.GetBytes(c[i * 12 + j * 4 + k]));
        var array = Read(NpyBytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3, 4), }", [.. fortranBytes]));
        Assert.Equal([2, 3, 4], array.Shape);
        Assert.Equal(c, (int[])array.Data);
    }

    [Fact]
    public void Written_files_read_back()
    {
        using var stream = new MemoryStream();
        Npy.Write<double>(stream, [1.0, -2.0, 3.0], 3, 1);
        stream.Position = 0;
        var array = Npy.Read(stream);
        Assert.Equal([3, 1], array.Shape);
        Assert.Equal(new[] { 1.0, -2.0, 3.0 }, (double[])array.Data);
    }
}

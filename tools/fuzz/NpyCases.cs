using System.Buffers.Binary;
using System.Text;

namespace DctNet.Fuzz;

/// <summary>
/// Issue 11, class 3: hostile .npy files, fed to <c>predict --input-tensor</c>. The tensor is read before the weights
/// (which do not exist here), so each case is refused for its own file: one line naming bad.npy, exit 1.
/// </summary>
internal static class NpyCases
{
    private const string File = "bad.npy";

    public static IEnumerable<FuzzCase> Write(FuzzCorpus corpus)
    {
        var cases = new (string Name, byte[] Content)[]
        {
            ("negative-dimension", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 6, 8, 8), }", 16)),
            ("huge-dimension", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 6, 8, 8), }", 16)),
            ("non-integer-dimension", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5, 6, 8, 8), }", 16)),
            ("overflowing-product", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647), }", 16)),
            ("data-beyond-file", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 6, 512, 512), }", 64)),
            ("data-short-by-one-byte", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 6, 8, 8), }", 6 * 8 * 8 * 4 - 1)),
            ("trailing-data", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 6, 8, 8), }", 6 * 8 * 8 * 4 + 4)),
            // Read correctly (into C order), then refused by predict for its rank: not an image tensor.
            ("fortran-order-matrix", Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24)),
            ("big-endian", Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 6, 8, 8), }", 6 * 8 * 8 * 4)),
            ("bool", Npy("{'descr': '|b1', 'fortran_order': False, 'shape': (1, 6, 8, 8), }", 6 * 8 * 8)),
            ("object-pickle", Npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 8)),
            ("float64", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 6, 8, 8), }", 6 * 8 * 8 * 8)),
            ("structured-dtype", Npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4)),
            ("scalar", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4)),
            ("empty", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", 0)),
            ("zero-height", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 6, 0, 8), }", 0)),
            ("missing-shape", Npy("{'descr': '<f4', 'fortran_order': False, }", 4)),
            ("missing-descr", Npy("{'fortran_order': False, 'shape': (1,), }", 4)),
            ("unknown-key", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1, }", 4)),
            ("not-a-dict", Npy("['descr', '<f4']", 4)),
            ("version-3-huge-header", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" + new string(' ', 20_000), 4, major: 3)),
            ("header-length-beyond-file", [0x93, .. "NUMPY"u8, 2, 0, 0xff, 0xff, 0xff, 0x7f, .. "{'descr'"u8]),
            ("unknown-version", [0x93, .. "NUMPY"u8, 9, 0, 10, 0, .. "{}        "u8]),
            ("truncated-magic", [0x93, (byte)'N', (byte)'U']),
            ("empty-file", []),
        };
        foreach (var (name, content) in cases)
        {
            string directory = corpus.CaseDirectory("npy", name);
            FuzzCorpus.WriteFile(directory, File, content);
            yield return new FuzzCase("npy", name, directory,
                ["predict", "--model", "resnet18-dct-s2", "--weights", "absent.safetensors", "--input-tensor", File], File);
        }
    }

    /// <summary>A .npy file of <paramref name="header"/>, padded as numpy pads it, and <paramref name="dataBytes"/> zero bytes.</summary>
    private static byte[] Npy(string header, int dataBytes, int major = 1)
    {
        int lengthBytes = major == 1 ? 2 : 4;
        int unpadded = 8 + lengthBytes + header.Length + 1;
        header = header.PadRight(header.Length + (64 - unpadded % 64) % 64) + "\n";
        var length = new byte[lengthBytes];
        if (major == 1)
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        return [0x93, .. "NUMPY"u8, (byte)major, 0, .. length, .. Encoding.UTF8.GetBytes(header), .. new byte[dataBytes]];
    }
}

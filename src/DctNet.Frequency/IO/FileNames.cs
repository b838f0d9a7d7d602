using System.Globalization;
using System.Text;

namespace DctNet.Frequency.IO;

/// <summary>File names as text: the ones .NET cannot represent, and how any name is shown safely.</summary>
public static class FileNames
{
    /// <summary>
    /// .NET decodes Linux file names as UTF-8 and turns each invalid byte into U+FFFD, so a name that is not UTF-8
    /// comes back as a string that names a different (missing) file. A missing path holding U+FFFD is taken to be one.
    /// </summary>
    public static bool IsUndecodable(string path) => path.Contains('\uFFFD', StringComparison.Ordinal);

    public const string UndecodableReason = "the file name is not valid UTF-8, and .NET cannot open such a file (rename it, e.g. with convmv)";

    /// <summary>
    /// <paramref name="text"/> with every character that could move the cursor, end the line or change how the rest
    /// displays replaced by a visible escape: control characters as \n, \r, \t, \xHH, and U+FFFD, the line and
    /// paragraph separators and the bidirectional controls as \uHHHH. So a name cannot start a line of its own
    /// (a forged "error:"), clear the terminal, or reorder what follows it.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.AsSpan().ContainsAny(Unprintable))
            return text;
        var result = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (!Unprintable.Contains(c))
                result.Append(c);
            else
                result.Append(c switch
                {
                    '\n' => @"\n",
                    '\r' => @"\r",
                    '\t' => @"\t",
                    < '\u0100' => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                    _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                });
        }
        return result.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> Unprintable = System.Buffers.SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Select(c => (char)c))
        + "\u061C\u200E\u200F\u2028\u2029\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\uFFFD");
}

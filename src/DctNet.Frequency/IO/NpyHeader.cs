using System.Globalization;

namespace DctNet.Frequency.IO;

/// <summary>
/// The header of a .npy file: a Python dict literal with exactly the keys 'descr' (a type string), 'fortran_order'
/// (True or False) and 'shape' (a tuple of non-negative integers), as numpy writes and requires it. Parsed by hand,
/// strictly: a missing, repeated or unknown key, a value of the wrong kind, a negative or non-integer dimension, or
/// one beyond 32-bit range is refused with what is wrong, never guessed at.
/// </summary>
internal ref struct NpyHeader
{
    private readonly string text;
    private int position;

    private NpyHeader(string text) => this.text = text;

    public static (string Descr, bool FortranOrder, int[] Shape) Parse(string header)
    {
        var parser = new NpyHeader(header);
        string? descr = null;
        bool? fortranOrder = null;
        int[]? shape = null;
        parser.Expect('{', "the header is not a dict ('{' ...)");
        while (!parser.TryConsume('}'))
        {
            string key = parser.ReadString("a key");
            parser.Expect(':', $"no ':' after the key '{key}'");
            switch (key)
            {
                case "descr" when descr is null:
                    descr = parser.Peek() is '\'' or '"' ? parser.ReadString("'descr'")
                        : throw new InvalidDataException("'descr' is not a type string like '<f4' (structured dtypes are not supported).");
                    break;
                case "fortran_order" when fortranOrder is null:
                    fortranOrder = parser.ReadBoolean();
                    break;
                case "shape" when shape is null:
                    shape = parser.ReadShape();
                    break;
                case "descr" or "fortran_order" or "shape":
                    throw new InvalidDataException($"the header has '{key}' twice.");
                default:
                    throw new InvalidDataException($"the header has the key '{Shorten(key)}'; a .npy header has only 'descr', 'fortran_order' and 'shape'.");
            }
            if (!parser.TryConsume(','))
            {
                parser.Expect('}', "the header dict is not closed with '}'");
                break;
            }
        }
        parser.SkipSpace();
        if (parser.position < parser.text.Length)
            throw new InvalidDataException("the header has text after its closing '}'.");
        return (descr ?? throw Missing("descr"), fortranOrder ?? throw Missing("fortran_order"), shape ?? throw Missing("shape"));
    }

    private static InvalidDataException Missing(string key) => new($"the header has no '{key}'.");

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private char? Peek()
    {
        SkipSpace();
        return position < text.Length ? text[position] : null;
    }

    private void SkipSpace()
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
            position++;
    }

    private bool TryConsume(char expected)
    {
        if (Peek() != expected)
            return false;
        position++;
        return true;
    }

    private void Expect(char expected, string problem)
    {
        if (!TryConsume(expected))
            throw new InvalidDataException($"{problem}.");
    }

    /// <summary>A quoted string without escapes (numpy's keys and type strings have none).</summary>
    private string ReadString(string what)
    {
        char? quote = Peek();
        if (quote is not ('\'' or '"'))
            throw new InvalidDataException($"the header has no quoted string where {what} should be.");
        int end = text.IndexOf(quote.Value, position + 1);
        if (end < 0)
            throw new InvalidDataException($"{what} is a string that is never closed.");
        string value = text[(position + 1)..end];
        position = end + 1;
        return value;
    }

    private bool ReadBoolean()
    {
        SkipSpace();
        foreach (var (word, value) in new[] { ("True", true), ("False", false) })
        {
            if (string.CompareOrdinal(text, position, word, 0, word.Length) == 0)
            {
                position += word.Length;
                return value;
            }
        }
        throw new InvalidDataException("'fortran_order' is not True or False.");
    }

    /// <summary>A tuple of dimensions: (), (n,), (n, m), ... each a whole number from 0 to int.MaxValue.</summary>
    private int[] ReadShape()
    {
        Expect('(', "'shape' is not a tuple");
        var shape = new List<int>();
        while (!TryConsume(')'))
        {
            SkipSpace();
            int start = position;
            while (position < text.Length && (char.IsAsciiDigit(text[position]) || text[position] is '-' or '+' or '.' or 'e' or 'E' or 'L'))
                position++;
            string dimension = text[start..position];
            if (dimension.Length == 0)
                throw new InvalidDataException("'shape' holds something other than whole numbers.");
            if (!dimension.All(char.IsAsciiDigit))
                throw new InvalidDataException($"'shape' has the dimension {Shorten(dimension)}; dimensions are whole numbers >= 0.");
            if (!int.TryParse(dimension, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
                throw new InvalidDataException($"'shape' has the dimension {Shorten(dimension)}, beyond {int.MaxValue}.");
            shape.Add(value);
            if (shape.Count > Npy.MaxDimensions)
                throw new InvalidDataException($"'shape' has more than {Npy.MaxDimensions} dimensions.");
            if (!TryConsume(','))
            {
                Expect(')', "'shape' is not closed with ')'");
                break;
            }
        }
        return [.. shape];
    }
}

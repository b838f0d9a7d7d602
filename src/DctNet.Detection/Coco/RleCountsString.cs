using System.Text;

namespace DctNet.Detection.Coco;

/// <summary>
/// The "counts" string of compressed RLE in COCO's JSON (maskApi's <c>rleToString</c> / <c>rleFrString</c>): each
/// run length from the fourth on is stored as the difference to the run two before (a run of 1s to the previous run
/// of 1s, which is small for smooth shapes), and each number as little-endian groups of 5 bits, one character
/// (48 + bits) per group, bit 0x20 meaning "more groups follow" and bit 0x10 of the last group carrying the sign.
/// </summary>
internal static class RleCountsString
{
    private const int FirstCharacter = 48;
    private const int LastCharacter = FirstCharacter + 63;

    public static string Encode(ReadOnlySpan<uint> counts)
    {
        var text = new StringBuilder(counts.Length * 2);
        for (int i = 0; i < counts.Length; i++)
        {
            long value = counts[i];
            if (i > 2)
                value -= counts[i - 2];
            bool more = true;
            while (more)
            {
                int group = (int)(value & 0x1f);
                value >>= 5;
                // Done when the rest is only sign extension of the group's top bit.
                more = (group & 0x10) != 0 ? value != -1 : value != 0;
                if (more)
                    group |= 0x20;
                text.Append((char)(group + FirstCharacter));
            }
        }
        return text.ToString();
    }

    public static uint[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var counts = new List<uint>(text.Length);
        int position = 0;
        while (position < text.Length)
        {
            long value = 0;
            int shift = 0;
            bool more = true;
            while (more)
            {
                if (position == text.Length)
                    throw new FormatException($"RLE counts string ends inside a number (at character {position}).");
                char character = text[position];
                if (character < FirstCharacter || character > LastCharacter)
                    throw new FormatException($"RLE counts string has '{character}' at character {position}; only '0' (48) to 'o' (111) occur.");
                if (shift > 30)
                    throw new FormatException($"RLE counts string has a number too long for a run length at character {position}.");
                int group = character - FirstCharacter;
                value |= (long)(group & 0x1f) << shift;
                more = (group & 0x20) != 0;
                position++;
                shift += 5;
                if (!more && (group & 0x10) != 0)
                    value |= -1L << shift;
            }
            if (counts.Count > 2)
                value += counts[^2];
            if (value < 0 || value > uint.MaxValue)
                throw new FormatException($"RLE counts string gives run length {value} (number {counts.Count}), outside 0 .. {uint.MaxValue}.");
            counts.Add((uint)value);
        }
        return [.. counts];
    }
}

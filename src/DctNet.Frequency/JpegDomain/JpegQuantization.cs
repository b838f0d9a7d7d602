using System.Buffers.Binary;
using DctNet.Frequency.Imaging;

namespace DctNet.Frequency.JpegDomain;

/// <summary>A frame component as the markers describe it: identifier, sampling factors, and the quantization table it was decoded with.</summary>
internal readonly record struct FrameComponent(int Id, int HorizontalSampling, int VerticalSampling, ushort[] Quantization);

/// <summary>
/// Reads which quantization table each component of a JPEG was decoded with, which TurboJPEG's API does not expose.
/// The rule is libjpeg's (jdinput.c, latch_quant_tables): a component takes the table its frame header names as that
/// table stands when the component's first scan starts, so a DQT segment between scans of a progressive file changes
/// only the components not yet scanned. The walk stops as soon as every component has latched its table, which for a
/// baseline file is at its first (and only) scan header: the entropy-coded data is then never looked at.
/// </summary>
internal static class JpegQuantization
{
    /// <summary>Zigzag position i holds the coefficient at natural index NaturalOrder[i] (8v + u), as DQT stores tables.</summary>
    internal static readonly byte[] NaturalOrder = ZigzagToNatural();

    /// <exception cref="ImageDecodeException">No frame header, a table used but never defined, or a component never scanned.</exception>
    public static FrameComponent[] Read(ReadOnlySpan<byte> jpeg, string source)
    {
        var tables = new ushort[4][];
        (int Id, int H, int V, int Table)[]? frame = null;
        ushort[]?[] latched = [];
        int remaining = int.MaxValue;
        int position = 2; // after SOI
        while (remaining > 0 && position + 1 < jpeg.Length)
        {
            if (jpeg[position] != 0xFF)
                throw Malformed(source, $"expected a marker at byte {position}");
            byte marker = jpeg[position + 1];
            if (marker == 0xFF)
            {
                position++; // fill byte
                continue;
            }
            position += 2;
            if (marker == 0xD9)
                break;
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
                continue; // TEM and RSTn have no length
            if (position + 2 > jpeg.Length)
                break;
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.Slice(position, 2));
            if (length < 2 || position + length > jpeg.Length)
                throw Malformed(source, $"a marker segment at byte {position - 2} runs past the end of the file");
            var payload = jpeg.Slice(position + 2, length - 2);
            position += length;
            switch (marker)
            {
                case 0xDB:
                    ReadTables(payload, tables, source);
                    break;
                case >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC):
                    frame = ReadFrame(payload, source);
                    latched = new ushort[frame.Length][];
                    remaining = frame.Length;
                    break;
                case 0xDA when frame is not null:
                    remaining -= Latch(payload, frame, tables, latched, source);
                    position = EndOfEntropyCodedData(jpeg, position);
                    break;
            }
        }
        if (frame is null)
            throw Malformed(source, "no frame header (SOF) before the end of the file");
        var components = new FrameComponent[frame.Length];
        for (int i = 0; i < frame.Length; i++)
        {
            var quantization = latched[i] ?? throw Malformed(source, $"component {frame[i].Id} has no scan");
            components[i] = new FrameComponent(frame[i].Id, frame[i].H, frame[i].V, quantization);
        }
        return components;
    }

    private static void ReadTables(ReadOnlySpan<byte> payload, ushort[][] tables, string source)
    {
        while (!payload.IsEmpty)
        {
            int precision = payload[0] >> 4, slot = payload[0] & 15;
            int size = 1 + 64 * (precision + 1);
            if (precision > 1 || slot > 3 || payload.Length < size)
                throw Malformed(source, "a quantization table (DQT) is malformed");
            var table = new ushort[64];
            for (int i = 0; i < 64; i++)
                table[NaturalOrder[i]] = precision == 0 ? payload[1 + i] : BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(1 + 2 * i, 2));
            tables[slot] = table;
            payload = payload[size..];
        }
    }

    private static (int Id, int H, int V, int Table)[] ReadFrame(ReadOnlySpan<byte> payload, string source)
    {
        if (payload.Length < 6 || payload.Length < 6 + 3 * payload[5] || payload[5] == 0)
            throw Malformed(source, "the frame header (SOF) is malformed");
        var components = new (int, int, int, int)[payload[5]];
        for (int i = 0; i < components.Length; i++)
        {
            var c = payload.Slice(6 + 3 * i, 3);
            components[i] = (c[0], c[1] >> 4, c[1] & 15, c[2] & 3);
        }
        return components;
    }

    /// <summary>Latches the current tables for the scan's components that have none yet; returns how many it latched.</summary>
    private static int Latch(ReadOnlySpan<byte> payload, (int Id, int H, int V, int Table)[] frame, ushort[][] tables, ushort[]?[] latched, string source)
    {
        if (payload.Length < 1 || payload.Length < 1 + 2 * payload[0])
            throw Malformed(source, "a scan header (SOS) is malformed");
        int count = 0;
        for (int s = 0; s < payload[0]; s++)
        {
            int id = payload[1 + 2 * s];
            int index = Array.FindIndex(frame, c => c.Id == id);
            if (index < 0 || latched[index] is not null)
                continue; // an unknown component is libjpeg's error to report
            var table = tables[frame[index].Table]
                ?? throw Malformed(source, $"quantization table {frame[index].Table} is used but never defined");
            latched[index] = (ushort[])table.Clone();
            count++;
        }
        return count;
    }

    /// <summary>The position of the first marker after a scan's entropy-coded data (stuffed zeros and restart markers belong to the data).</summary>
    private static int EndOfEntropyCodedData(ReadOnlySpan<byte> jpeg, int position)
    {
        while (true)
        {
            int next = jpeg[position..].IndexOf((byte)0xFF);
            if (next < 0 || position + next + 1 >= jpeg.Length)
                return jpeg.Length;
            position += next;
            byte following = jpeg[position + 1];
            if (following != 0x00 && following is not (>= 0xD0 and <= 0xD7))
                return position;
            position += 2;
        }
    }

    private static ImageDecodeException Malformed(string source, string problem) => new(source, $"not a readable JPEG ({problem})");

    private static byte[] ZigzagToNatural()
    {
        var order = new byte[64];
        int i = 0;
        for (int diagonal = 0; diagonal < 15; diagonal++)
        {
            // Even diagonals run up and to the right, odd ones down and to the left.
            int first = Math.Max(0, diagonal - 7), last = Math.Min(diagonal, 7);
            for (int step = first; step <= last; step++)
            {
                int v = diagonal % 2 == 0 ? diagonal - step : step;
                order[i++] = (byte)(8 * v + (diagonal - v));
            }
        }
        return order;
    }
}

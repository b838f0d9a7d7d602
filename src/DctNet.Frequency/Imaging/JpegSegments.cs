using System.Buffers.Binary;

namespace DctNet.Frequency.Imaging;

/// <summary>
/// Walks the marker segments of a JPEG header, from after SOI up to the start of the scan: a malformed or truncated
/// header simply ends the walk (the decoder reports it). <c>foreach (var segment in new JpegSegments(jpeg))</c>.
/// </summary>
internal readonly ref struct JpegSegments(ReadOnlySpan<byte> jpeg)
{
    private readonly ReadOnlySpan<byte> _jpeg = jpeg;

    public Enumerator GetEnumerator() => new(_jpeg);

    /// <summary>The number of colour components in the frame header (SOFn): 1 gray, 3 YCbCr or RGB, 4 CMYK or YCCK; 0 when none is found.</summary>
    public static int ComponentCount(ReadOnlySpan<byte> jpeg)
    {
        foreach (var segment in new JpegSegments(jpeg))
        {
            // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width, component count.
            if (segment.Marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC) && segment.Payload.Length >= 6)
                return segment.Payload[5];
        }
        return 0;
    }

    public readonly ref struct Segment(byte marker, ReadOnlySpan<byte> payload)
    {
        public byte Marker { get; } = marker;

        /// <summary>The bytes after the length field.</summary>
        public ReadOnlySpan<byte> Payload { get; } = payload;
    }

    public ref struct Enumerator(ReadOnlySpan<byte> jpeg)
    {
        private readonly ReadOnlySpan<byte> _jpeg = jpeg;
        private int _position = 2; // after SOI
        private byte _marker;
        private ReadOnlySpan<byte> _payload;

        public readonly Segment Current => new(_marker, _payload);

        public bool MoveNext()
        {
            while (_position + 4 <= _jpeg.Length)
            {
                if (_jpeg[_position] != 0xFF)
                    return false;
                byte marker = _jpeg[_position + 1];
                if (marker == 0xFF)
                {
                    _position++; // fill byte
                    continue;
                }
                if (marker is 0xDA or 0xD9)
                    return false; // start of scan or end of image: the header is over
                int length = BinaryPrimitives.ReadUInt16BigEndian(_jpeg.Slice(_position + 2, 2));
                if (length < 2 || _position + 2 + length > _jpeg.Length)
                    return false;
                _marker = marker;
                _payload = _jpeg.Slice(_position + 4, length - 2);
                _position += 2 + length;
                return true;
            }
            return false;
        }
    }
}

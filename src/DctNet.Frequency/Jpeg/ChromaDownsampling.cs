namespace DctNet.Frequency.Jpeg;

/// <summary>libjpeg's h2v2 downsampling (jcsample.c): the mean of each 2x2 square with a bias of 1, 2, 1, 2... along the output row.</summary>
public static class ChromaDownsampling
{
    /// <param name="plane">Full-resolution samples, <paramref name="width"/> x <paramref name="height"/>, both even.</param>
    /// <param name="result">Half-resolution samples, (width/2) x (height/2).</param>
    public static void H2V2(ReadOnlySpan<byte> plane, int width, int height, Span<byte> result)
    {
        int outWidth = width / 2;
        for (int y = 0; y < height / 2; y++)
        {
            var top = plane.Slice(2 * y * width, width);
            var bottom = plane.Slice((2 * y + 1) * width, width);
            var row = result.Slice(y * outWidth, outWidth);
            for (int x = 0; x < outWidth; x++)
            {
                int bias = 1 + (x & 1);
                row[x] = (byte)((top[2 * x] + top[2 * x + 1] + bottom[2 * x] + bottom[2 * x + 1] + bias) >> 2);
            }
        }
    }
}

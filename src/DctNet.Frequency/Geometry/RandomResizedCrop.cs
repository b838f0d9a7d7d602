namespace DctNet.Frequency.Geometry;

/// <summary>
/// torchvision's RandomResizedCrop parameters (scale 0.08-1, aspect ratio 3/4-4/3, ten tries, then a centre crop
/// within the ratio bounds), drawn from a caller-seeded <see cref="Random"/> so that runs are reproducible.
/// </summary>
public static class RandomResizedCrop
{
    public const double MinScale = 0.08, MaxScale = 1.0;
    public const double MinRatio = 3.0 / 4.0, MaxRatio = 4.0 / 3.0;

    public static PixelWindow Sample(int width, int height, Random random)
    {
        double area = (double)width * height;
        double logMinRatio = Math.Log(MinRatio), logMaxRatio = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = area * (MinScale + random.NextDouble() * (MaxScale - MinScale));
            double aspectRatio = Math.Exp(logMinRatio + random.NextDouble() * (logMaxRatio - logMinRatio));
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspectRatio), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspectRatio), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
                return new PixelWindow(random.Next(0, width - w + 1), random.Next(0, height - h + 1), w, h);
        }

        double inputRatio = (double)width / height;
        int cropWidth = width, cropHeight = height;
        if (inputRatio < MinRatio)
            cropHeight = (int)Math.Round(width / MinRatio, MidpointRounding.ToEven);
        else if (inputRatio > MaxRatio)
            cropWidth = (int)Math.Round(height * MaxRatio, MidpointRounding.ToEven);
        return new PixelWindow((width - cropWidth) / 2, (height - cropHeight) / 2, cropWidth, cropHeight);
    }
}

using System.Globalization;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;
using SkiaSharp;

namespace DctNet.Detection.Inference;

/// <summary>
/// Draws detections over their image as a PNG: each object's mask as a translucent fill, its box, and a label with the
/// class name and score. Text uses the DejaVu Sans embedded in DctNet.Torch (the portable Skia build reads no system
/// fonts), so the pictures are the same on every machine.
/// </summary>
public static class DetectionPainter
{
    /// <summary>How much of an object's colour a mask pixel takes.</summary>
    public const float MaskOpacity = 0.45f;

    private static readonly SKColor[] Palette =
    [
        new(230, 25, 75), new(60, 180, 75), new(255, 225, 25), new(0, 130, 200), new(245, 130, 48), new(145, 30, 180),
        new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212), new(0, 128, 128), new(170, 110, 40),
    ];

    private static readonly Lazy<SKTypeface> Typeface = new(LoadTypeface);

    /// <summary>The colour of a class: fixed per label, so that one class looks the same in every picture.</summary>
    public static SKColor ColorOf(int label) => Palette[label % Palette.Length];

    /// <summary>Writes the picture to <paramref name="path"/> atomically.</summary>
    /// <param name="nameOf">The class name of a label.</param>
    public static void SavePng(RgbImage image, IReadOnlyList<DetectedObject> objects, Func<int, string> nameOf, string path)
    {
        ArgumentNullException.ThrowIfNull(nameOf);
        using var bitmap = Render(image, objects, nameOf);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, stream => data.SaveTo(stream));
    }

    /// <summary>The picture as an RGBA bitmap; the caller disposes it.</summary>
    public static SKBitmap Render(RgbImage image, IReadOnlyList<DetectedObject> objects, Func<int, string> nameOf)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(objects);
        ArgumentNullException.ThrowIfNull(nameOf);
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = bitmap.GetPixelSpan();
        image.CopyToRgba(rgba);
        // Masks are blended into the pixels (a canvas has no per-pixel mask fill); the lowest-scoring first, so that
        // the best detection's colour is on top where masks overlap.
        foreach (var detected in objects.Reverse())
        {
            if (detected.Mask is { } mask)
                BlendMask(rgba, mask, ColorOf(detected.Label));
        }

        using var canvas = new SKCanvas(bitmap);
        float stroke = Math.Max(2f, Math.Min(image.Width, image.Height) / 300f);
        using var font = new SKFont(Typeface.Value, Math.Max(11f, Math.Min(image.Width, image.Height) / 40f));
        using var boxPaint = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
        using var fill = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = true };
        using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
        foreach (var detected in objects.Reverse())
        {
            var color = ColorOf(detected.Label);
            boxPaint.Color = color;
            canvas.DrawRect(SKRect.Create(detected.X1, detected.Y1, detected.X2 - detected.X1, detected.Y2 - detected.Y1), boxPaint);

            string label = string.Create(CultureInfo.InvariantCulture, $"{nameOf(detected.Label)} {detected.Score:0.00}");
            float width = font.MeasureText(label);
            float height = font.Spacing;
            // Above the box where there is room, else just inside its top edge.
            float top = detected.Y1 - height >= 0 ? detected.Y1 - height : Math.Max(detected.Y1, 0);
            float left = Math.Clamp(detected.X1, 0, Math.Max(image.Width - width - 4, 0));
            fill.Color = color.WithAlpha(200);
            canvas.DrawRect(SKRect.Create(left, top, width + 4, height), fill);
            canvas.DrawText(label, left + 2, top - font.Metrics.Ascent, SKTextAlign.Left, font, text);
        }
        canvas.Flush();
        return bitmap;
    }

    /// <summary>Mixes the colour into every pixel of the mask (its run lengths go down the columns).</summary>
    private static void BlendMask(Span<byte> rgba, Coco.Rle mask, SKColor color)
    {
        ReadOnlySpan<uint> counts = mask.Counts;
        int height = mask.Height, width = mask.Width;
        long position = 0;
        for (int run = 0; run < counts.Length; run++)
        {
            long end = position + counts[run];
            // Odd runs are the object's pixels.
            if ((run & 1) == 1)
            {
                for (long index = position; index < end; index++)
                {
                    int x = (int)(index / height), y = (int)(index % height);
                    int q = (y * width + x) * 4;
                    rgba[q] = Mix(rgba[q], color.Red);
                    rgba[q + 1] = Mix(rgba[q + 1], color.Green);
                    rgba[q + 2] = Mix(rgba[q + 2], color.Blue);
                }
            }
            position = end;
        }
    }

    private static byte Mix(byte pixel, byte color) => (byte)Math.Round(pixel * (1 - MaskOpacity) + color * MaskOpacity);

    private static SKTypeface LoadTypeface()
    {
        const string resource = "DctNet.Reporting.DejaVuSans.ttf";
        using var stream = typeof(DctNet.Checkpoints.WeightsFile).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded font {resource} is missing from DctNet.Torch.");
        return SKTypeface.FromStream(stream) ?? throw new InvalidOperationException($"The embedded font {resource} could not be read.");
    }
}

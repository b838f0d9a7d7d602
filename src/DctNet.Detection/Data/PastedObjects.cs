using System.Text.Json;
using DctNet.Demo;
using DctNet.Detection.Coco;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;

namespace DctNet.Detection.Data;

/// <summary>Where <see cref="PastedObjects.Write"/> put a set.</summary>
public sealed record PastedObjectsSet(string ImagesFolder, string AnnotationsPath, int Images, int Objects);

/// <summary>
/// A small COCO-format detection set made of real photographs, for trying and testing detection training where no
/// annotated data is at hand: every image is a crop of a background photograph with one to three elliptic cut-outs of
/// the categories' photographs pasted where they do not overlap. Boxes, polygon outlines and areas are exact by
/// construction (the pasted pixels are the outline's own rasterization). The same inputs and seed give the same files.
/// </summary>
public static class PastedObjects
{
    private const int OutlinePoints = 24;
    private const int MaximumObjects = 3;

    /// <param name="directory">Receives <c>images/</c> (JPEGs) and <c>instances.json</c>.</param>
    /// <param name="backgrounds">Photographs the images are cropped from, in turn.</param>
    /// <param name="categories">Per category (ids 1, 2, ...), its name and the photograph its objects are cut from.</param>
    /// <exception cref="ImageDecodeException">A photograph cannot be read.</exception>
    public static PastedObjectsSet Write(string directory, IReadOnlyList<string> backgrounds, IReadOnlyList<(string Name, string Photo)> categories,
        int images, int width, int height, int seed)
    {
        ArgumentNullException.ThrowIfNull(backgrounds);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentOutOfRangeException.ThrowIfZero(backgrounds.Count);
        ArgumentOutOfRangeException.ThrowIfZero(categories.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(Math.Min(width, height), 32);
        var decoder = new ImageDecoder();
        var photos = categories.Select(c => decoder.DecodeFile(c.Photo)).ToArray();
        string imagesFolder = Path.Combine(directory, "images");
        Directory.CreateDirectory(imagesFolder);
        var random = new Random(seed);
        var imageEntries = new List<object>();
        var annotations = new List<object>();
        for (int i = 0; i < images; i++)
        {
            var canvas = Cover(decoder.DecodeFile(backgrounds[i % backgrounds.Count]), width, height);
            var placed = new List<(double X, double Y, double W, double H)>();
            int objects = random.Next(1, MaximumObjects + 1);
            for (int attempt = 0; attempt < 20 * objects && placed.Count < objects; attempt++)
            {
                double side = Math.Min(width, height) * (0.25 + 0.35 * random.NextDouble());
                double aspect = 0.7 + 0.7 * random.NextDouble();
                double w = side * Math.Sqrt(aspect), h = side / Math.Sqrt(aspect);
                double x = random.NextDouble() * (width - w), y = random.NextDouble() * (height - h);
                if (placed.Any(p => x < p.X + p.W && p.X < x + w && y < p.Y + p.H && p.Y < y + h))
                    continue;
                placed.Add((x, y, w, h));
                int category = random.Next(categories.Count);
                double[] outline = Ellipse(x, y, w, h);
                var mask = Rle.FromPolygon(outline, height, width);
                Paste(canvas, photos[category], mask.Decode(), (x, y, w, h));
                var box = mask.ToBox();
                annotations.Add(new
                {
                    id = annotations.Count + 1,
                    image_id = i + 1,
                    category_id = category + 1,
                    bbox = new[] { box.X, box.Y, box.Width, box.Height },
                    area = mask.Area,
                    iscrowd = 0,
                    segmentation = new[] { outline.Select(v => Math.Round(v, 2)).ToArray() },
                });
            }
            string fileName = $"{i + 1:D4}.jpg";
            AtomicFile.WriteAllBytes(Path.Combine(imagesFolder, fileName), SyntheticImages.EncodeJpeg(canvas, quality: 95));
            imageEntries.Add(new { id = i + 1, file_name = fileName, width, height });
        }
        var file = new
        {
            images = imageEntries,
            categories = categories.Select((c, k) => new { id = k + 1, name = c.Name, supercategory = "pasted" }),
            annotations,
        };
        string annotationsPath = Path.Combine(directory, "instances.json");
        AtomicFile.WriteAllText(annotationsPath, JsonSerializer.Serialize(file));
        return new PastedObjectsSet(imagesFolder, annotationsPath, images, annotations.Count);
    }

    /// <summary>An ellipse inscribed in the box as x, y pairs.</summary>
    private static double[] Ellipse(double x, double y, double w, double h)
    {
        var points = new double[2 * OutlinePoints];
        for (int k = 0; k < OutlinePoints; k++)
        {
            double angle = 2 * Math.PI * k / OutlinePoints;
            points[2 * k] = x + w / 2 * (1 + Math.Cos(angle));
            points[2 * k + 1] = y + h / 2 * (1 + Math.Sin(angle));
        }
        return points;
    }

    /// <summary>The photograph scaled (nearest neighbour) to cover width x height, centre-cropped.</summary>
    private static RgbImage Cover(RgbImage photo, int width, int height)
    {
        double scale = Math.Max((double)width / photo.Width, (double)height / photo.Height);
        double left = (photo.Width * scale - width) / 2, top = (photo.Height * scale - height) / 2;
        var result = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        {
            int sourceY = Math.Min(photo.Height - 1, (int)((y + top) / scale));
            for (int x = 0; x < width; x++)
            {
                int sourceX = Math.Min(photo.Width - 1, (int)((x + left) / scale));
                photo.Row(sourceY).Slice(sourceX * 3, 3).CopyTo(result.Row(y).Slice(x * 3, 3));
            }
        }
        return result;
    }

    /// <summary>The photograph scaled onto the box, written where the column-major mask is set.</summary>
    private static void Paste(RgbImage canvas, RgbImage photo, byte[] columnMajorMask, (double X, double Y, double W, double H) box)
    {
        for (int x = 0; x < canvas.Width; x++)
        {
            for (int y = 0; y < canvas.Height; y++)
            {
                if (columnMajorMask[x * canvas.Height + y] == 0)
                    continue;
                int sourceX = Math.Clamp((int)((x - box.X) / box.W * photo.Width), 0, photo.Width - 1);
                int sourceY = Math.Clamp((int)((y - box.Y) / box.H * photo.Height), 0, photo.Height - 1);
                photo.Row(sourceY).Slice(sourceX * 3, 3).CopyTo(canvas.Row(y).Slice(x * 3, 3));
            }
        }
    }
}

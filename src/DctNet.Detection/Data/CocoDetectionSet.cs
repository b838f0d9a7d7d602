using DctNet.Detection.Coco;
using DctNet.Frequency.Imaging;

namespace DctNet.Detection.Data;

/// <summary>One object a detector trains on: its box (x1, y1, x2, y2, clipped to the image), contiguous label and shape.</summary>
public sealed record DetectionObject(float X1, float Y1, float X2, float Y2, int Label, CocoSegmentation? Segmentation);

/// <summary>An image of a detection set: its COCO entry, its file, and the objects kept for training.</summary>
public sealed record DetectionImage(CocoImage Image, string Path, IReadOnlyList<DetectionObject> Objects)
{
    /// <summary>mmdetection's aspect-ratio group: width at least height.</summary>
    public bool IsLandscape => Image.Width >= Image.Height;
}

/// <summary>A decoded image and its objects as arrays, ready to become tensors.</summary>
/// <param name="Boxes">n x 4 floats, x1, y1, x2, y2 in the image's pixels.</param>
/// <param name="Labels">n contiguous labels 1..K.</param>
/// <param name="Masks">n x height x width binary bytes, row-major; null unless the set loads masks.</param>
public sealed record DetectionExample(RgbImage Image, float[] Boxes, long[] Labels, byte[]? Masks)
{
    public int Count => Labels.Length;
}

/// <summary>What opening a detection set dropped or adjusted, counted so that nothing changes unseen.</summary>
/// <param name="Listed">Images in the annotation file.</param>
/// <param name="Absent">Images listed but not found under the images folder (left out).</param>
/// <param name="WithoutObjects">Training sets: images left with no object to train on (left out, as torchvision's and
/// mmdetection's COCO recipes do); evaluation sets keep them.</param>
/// <param name="Objects">Objects kept.</param>
/// <param name="Crowd">Crowd regions: not trained on (COCO evaluation ignores detections on them).</param>
/// <param name="EmptyBoxes">Boxes of zero width or height in the file (dropped).</param>
/// <param name="Clipped">Boxes reaching beyond the image, cut at its border (kept).</param>
/// <param name="Outside">Boxes with no area inside the image (dropped).</param>
/// <param name="WithoutSegmentation">Mask training: objects without a segmentation (dropped; a box is no mask).</param>
public sealed record DetectionSetSummary(int Listed, int Absent, int WithoutObjects, int Objects, int Crowd, int EmptyBoxes, int Clipped, int Outside, int WithoutSegmentation)
{
    /// <summary>"12 images, 40 objects; left out: ..." - every count above zero.</summary>
    public override string ToString()
    {
        var notes = new List<string>();
        void Note(int count, string what)
        {
            if (count > 0)
                notes.Add($"{count} {what}");
        }
        Note(Absent, "images absent");
        Note(WithoutObjects, "images without objects left out");
        Note(Crowd, "crowd regions not trained on");
        Note(EmptyBoxes, "zero-area boxes dropped");
        Note(Outside, "boxes outside their image dropped");
        Note(Clipped, "boxes clipped to their image");
        Note(WithoutSegmentation, "objects without segmentation dropped");
        string kept = $"{Listed - Absent - WithoutObjects} of {Listed} images, {Objects} objects";
        return notes.Count == 0 ? kept : $"{kept} ({string.Join(", ", notes)})";
    }
}

/// <summary>A problem with the images or annotations of a detection set that stops it being used.</summary>
public sealed class DetectionDataException(string message) : Exception(message);

/// <summary>
/// A COCO-format detection set: an images folder and its annotation file (<c>images[].file_name</c> relative to the
/// folder). Training sets keep the objects a detector can learn from - boxes clipped to the image, crowd regions,
/// zero-area boxes and boxes outside the image dropped, and for masks the objects without a segmentation - and leave
/// out images with none left; evaluation sets keep every present image. Absent image files are left out, or refused
/// when strict. Everything dropped is counted in <see cref="Summary"/>.
/// </summary>
public sealed class CocoDetectionSet
{
    private CocoDetectionSet(CocoDataset dataset, IReadOnlyList<DetectionImage> images, DetectionSetSummary summary, bool masks)
    {
        Dataset = dataset;
        Images = images;
        Summary = summary;
        Masks = masks;
    }

    /// <summary>The annotations restricted to the present images: what COCO evaluation of this set compares with.</summary>
    public CocoDataset Dataset { get; }

    public IReadOnlyList<DetectionImage> Images { get; }

    public DetectionSetSummary Summary { get; }

    /// <summary>Examples carry masks (Mask R-CNN).</summary>
    public bool Masks { get; }

    /// <param name="training">Keep only images with objects to train on (evaluation sets keep all).</param>
    /// <param name="masks">The objects need segmentations (Mask R-CNN).</param>
    /// <param name="strict">An absent image file is a <see cref="DetectionDataException"/> instead of being left out.</param>
    /// <exception cref="CocoFormatException">The annotation file is missing or malformed.</exception>
    /// <exception cref="DetectionDataException">The images folder is missing, an image has no file name, an absent image
    /// in a strict set, or no image left.</exception>
    public static CocoDetectionSet Open(string imagesFolder, string annotationsPath, bool training, bool masks, bool strict = false)
    {
        var dataset = CocoDataset.Load(annotationsPath);
        if (!Directory.Exists(imagesFolder))
            throw new DetectionDataException($"{imagesFolder}: no such images folder (for {annotationsPath}).");
        var images = new List<DetectionImage>();
        var present = new List<CocoImage>();
        int absent = 0, withoutObjects = 0, objects = 0, crowd = 0, empty = 0, clipped = 0, outside = 0, withoutSegmentation = 0;
        string? firstAbsent = null;
        foreach (var image in dataset.Images)
        {
            if (string.IsNullOrEmpty(image.FileName))
                throw new DetectionDataException($"{annotationsPath}: image id {image.Id} has no \"file_name\"; a detection set needs the image files.");
            string path = Path.Combine(imagesFolder, image.FileName);
            if (!File.Exists(path))
            {
                if (strict)
                    throw new DetectionDataException($"{path}: listed in {annotationsPath} (image id {image.Id}) but absent.");
                absent++;
                firstAbsent ??= path;
                continue;
            }
            present.Add(image);
            var kept = new List<DetectionObject>();
            foreach (var annotation in dataset.AnnotationsOf(image.Id))
            {
                var box = annotation.Box;
                if (annotation.IsCrowd)
                {
                    crowd++;
                    continue;
                }
                if (box.Width == 0 || box.Height == 0)
                {
                    empty++;
                    continue;
                }
                double x1 = Math.Clamp(box.X, 0, image.Width), y1 = Math.Clamp(box.Y, 0, image.Height);
                double x2 = Math.Clamp(box.X + box.Width, 0, image.Width), y2 = Math.Clamp(box.Y + box.Height, 0, image.Height);
                if (x2 <= x1 || y2 <= y1)
                {
                    outside++;
                    continue;
                }
                if (x1 != box.X || y1 != box.Y || x2 != box.X + box.Width || y2 != box.Y + box.Height)
                    clipped++;
                if (masks && annotation.Segmentation is null)
                {
                    withoutSegmentation++;
                    continue;
                }
                kept.Add(new DetectionObject((float)x1, (float)y1, (float)x2, (float)y2, dataset.LabelOf(annotation.CategoryId), annotation.Segmentation));
            }
            if (training && kept.Count == 0)
            {
                withoutObjects++;
                continue;
            }
            objects += kept.Count;
            images.Add(new DetectionImage(image, path, kept));
        }
        if (images.Count == 0)
        {
            string why = absent == dataset.Images.Count ? $"none of its {absent} images is under {imagesFolder} (e.g. {firstAbsent})"
                : training ? "no image has an object to train on" : "it lists no image";
            throw new DetectionDataException($"{annotationsPath}: {why}.");
        }
        var presentIds = present.Select(i => i.Id).ToHashSet();
        var evaluated = absent == 0 ? dataset
            : new CocoDataset(present, dataset.Categories, dataset.Annotations.Where(a => presentIds.Contains(a.ImageId)), dataset.Source);
        var summary = new DetectionSetSummary(dataset.Images.Count, absent, withoutObjects, objects, crowd, empty, clipped, outside, withoutSegmentation);
        return new CocoDetectionSet(evaluated, images, summary, masks);
    }

    /// <summary>
    /// The most mask memory one image may take: 1 GiB, about forty times what the most crowded COCO image needs
    /// (90 objects at 640 x 480), so that an annotation file listing thousands of objects on one image cannot exhaust memory.
    /// </summary>
    public const long MaxMaskBytes = 1L << 30;

    /// <summary>Decodes image <paramref name="index"/> and rasterizes its objects' masks (when the set loads masks).</summary>
    /// <exception cref="ImageDecodeException">The file cannot be decoded, its size is not the annotation file's, or its masks would exceed <see cref="MaxMaskBytes"/>.</exception>
    public DetectionExample Load(int index, ImageDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        var entry = Images[index];
        var picture = decoder.DecodeFile(entry.Path);
        if (picture.Width != entry.Image.Width || picture.Height != entry.Image.Height)
            throw new ImageDecodeException(entry.Path, $"decoded as {picture.Width} x {picture.Height}, but the annotations (image id {entry.Image.Id}) "
                + $"say {entry.Image.Width} x {entry.Image.Height}; its boxes would not fit.");
        int count = entry.Objects.Count;
        var boxes = new float[count * 4];
        var labels = new long[count];
        long maskBytes = (long)count * picture.Height * picture.Width;
        if (Masks && maskBytes > MaxMaskBytes)
            throw new ImageDecodeException(entry.Path, $"its {count} objects (image id {entry.Image.Id}) would need {maskBytes} bytes of masks at its size, "
                + $"more than the {MaxMaskBytes} one image may take.");
        byte[]? masks = Masks ? new byte[maskBytes] : null;
        int pixels = picture.Height * picture.Width;
        for (int i = 0; i < count; i++)
        {
            var item = entry.Objects[i];
            (boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]) = (item.X1, item.Y1, item.X2, item.Y2);
            labels[i] = item.Label;
            if (masks is not null)
                ToRowMajor(item.Segmentation!.ToRle(picture.Height, picture.Width), picture.Height, picture.Width, masks.AsSpan(i * pixels, pixels), entry.Path);
        }
        return new DetectionExample(picture, boxes, labels, masks);
    }

    /// <summary>A run-length mask (column-major, as COCO stores it) into row-major bytes.</summary>
    private static void ToRowMajor(Rle mask, int height, int width, Span<byte> destination, string path)
    {
        if (mask.Height != height || mask.Width != width)
            throw new ImageDecodeException(path, $"a run-length segmentation is {mask.Width} x {mask.Height}, not the image's {width} x {height}.");
        byte[] columnMajor = mask.Decode();
        for (int x = 0; x < width; x++)
        {
            var column = columnMajor.AsSpan(x * height, height);
            for (int y = 0; y < height; y++)
                destination[y * width + x] = column[y];
        }
    }
}

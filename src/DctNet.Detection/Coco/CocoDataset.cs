using System.Globalization;

namespace DctNet.Detection.Coco;

/// <summary>An image of a COCO annotation file.</summary>
public sealed record CocoImage(long Id, int Width, int Height, string? FileName = null);

/// <summary>A category of a COCO annotation file; <see cref="CocoDataset.LabelOf"/> gives its contiguous label.</summary>
public sealed record CocoCategory(int Id, string Name, string? Supercategory = null);

/// <summary>
/// An object of a COCO annotation file. <see cref="Area"/> is the file's "area" field (COCO's mask area), which
/// COCO evaluation uses for its area ranges even when it evaluates boxes; <see cref="Segmentation"/> is null for
/// box-only annotations.
/// </summary>
public sealed record CocoAnnotation(long Id, long ImageId, int CategoryId, CocoBox Box, double Area, bool IsCrowd, CocoSegmentation? Segmentation);

/// <summary>
/// A COCO annotation file ("instances_*.json"): images, categories, annotations, with the category ids mapped to the
/// contiguous labels 1..K that detectors predict (0 is background). Inconsistent files are refused with a
/// <see cref="CocoFormatException"/> naming the file and the entry. Annotations whose box has zero width or height
/// are kept, because COCO evaluation counts them as ground truth, and counted in <see cref="EmptyBoxAnnotations"/>
/// so that training can skip them.
/// </summary>
public sealed class CocoDataset
{
    private readonly Dictionary<long, CocoImage> imagesById = [];
    private readonly Dictionary<long, List<CocoAnnotation>> annotationsByImage = [];
    private readonly Dictionary<int, int> labelsByCategoryId = [];

    /// <summary>Checks the entries against each other; <paramref name="source"/> names them in error messages.</summary>
    public CocoDataset(IEnumerable<CocoImage> images, IEnumerable<CocoCategory> categories, IEnumerable<CocoAnnotation> annotations,
        string source = "(in memory)")
    {
        Source = source;
        Images = [.. images];
        Categories = [.. categories.OrderBy(c => c.Id)];
        Annotations = [.. annotations];

        for (int i = 0; i < Images.Count; i++)
        {
            CocoImage image = Images[i];
            if (image.Width <= 0 || image.Height <= 0 || image.Width > MaxImageSide || image.Height > MaxImageSide)
                throw Error($"images[{i}] (id {image.Id}): size {image.Width} x {image.Height}; width and height must be from 1 to {MaxImageSide}.");
            if ((long)image.Width * image.Height > uint.MaxValue)
                throw Error($"images[{i}] (id {image.Id}): size {image.Width} x {image.Height} is more than the {uint.MaxValue} pixels a COCO mask can count.");
            if (!imagesById.TryAdd(image.Id, image))
                throw Error($"images[{i}]: image id {image.Id} appears twice.");
        }
        for (int label = 1; label <= Categories.Count; label++)
        {
            if (!labelsByCategoryId.TryAdd(Categories[label - 1].Id, label))
                throw Error($"categories: category id {Categories[label - 1].Id} appears twice.");
        }
        var annotationIds = new HashSet<long>();
        long totalWalk = 0;
        for (int i = 0; i < Annotations.Count; i++)
        {
            CocoAnnotation annotation = Annotations[i];
            string entry = $"annotations[{i}] (id {annotation.Id})";
            if (!annotationIds.Add(annotation.Id))
                throw Error($"{entry}: annotation id {annotation.Id} appears twice.");
            if (!imagesById.TryGetValue(annotation.ImageId, out CocoImage? image))
                throw Error($"{entry}: image_id {annotation.ImageId} is not among the images.");
            if (!labelsByCategoryId.ContainsKey(annotation.CategoryId))
                throw Error($"{entry}: category_id {annotation.CategoryId} is not among the categories.");
            CocoBox box = annotation.Box;
            if (!double.IsFinite(box.X) || !double.IsFinite(box.Y) || !double.IsFinite(box.Width) || !double.IsFinite(box.Height))
                throw Error($"{entry}: bbox has a value that is not a finite number.");
            if (box.Width < 0 || box.Height < 0)
                throw Error($"{entry}: bbox [{Format(box)}] has a negative width or height.");
            if (!double.IsFinite(annotation.Area) || annotation.Area < 0)
                throw Error($"{entry}: area {annotation.Area.ToString(CultureInfo.InvariantCulture)} is not a finite number >= 0.");
            if (annotation.Segmentation?.Polygons is { } polygons)
            {
                long walk = PolygonWalk(polygons, image);
                if (walk > MaxPolygonWalk)
                    throw Error($"{entry}: the polygon outline is {walk / 5} pixels long; more than {MaxPolygonWalk / 5} is not an object's outline.");
                totalWalk += walk;
                if (totalWalk > MaxTotalPolygonWalk)
                    throw Error($"{entry}: the polygon outlines up to here are {totalWalk / 5} pixels long together, more than the {MaxTotalPolygonWalk / 5} this reader rasterizes.");
            }
            if (box.Width == 0 || box.Height == 0)
                EmptyBoxAnnotations++;
            if (annotation.Segmentation is null)
                AnnotationsWithoutSegmentation++;
            if (annotation.IsCrowd)
                CrowdAnnotations++;
            if (!annotationsByImage.TryGetValue(annotation.ImageId, out var ofImage))
                annotationsByImage[annotation.ImageId] = ofImage = [];
            ofImage.Add(annotation);
        }
        ImagesWithoutAnnotations = Images.Count(image => !annotationsByImage.ContainsKey(image.Id));
    }

    /// <summary>
    /// The largest image side: 2^24 pixels, far beyond any photograph, keeps the polygon rasterizer's coordinates
    /// (5x upsampled, with a margin of one image side around the image) within 32-bit integers.
    /// </summary>
    public const int MaxImageSide = 1 << 24;

    /// <summary>
    /// The most points the rasterizer may walk for one object's polygons (a fifth of a pixel each): an outline of
    /// about 3.4 million pixels, a thousand times a COCO object's, and a tenth of a second's work.
    /// </summary>
    public const long MaxPolygonWalk = 1L << 24;

    /// <summary>
    /// The most points for all polygons of a file together: about twice what COCO train2017's 860,000 objects need
    /// (the fixture's COCO objects walk 914 points each), and half a minute's work at most.
    /// </summary>
    public const long MaxTotalPolygonWalk = 1_500_000_000;

    /// <summary>Reads an annotation file; a missing or malformed field is a <see cref="CocoFormatException"/>.</summary>
    public static CocoDataset Load(string path) => CocoDatasetFile.Load(path);

    /// <summary>The file, or "(in memory)", that error messages name.</summary>
    public string Source { get; }

    /// <summary>In file order.</summary>
    public IReadOnlyList<CocoImage> Images { get; }

    /// <summary>In ascending id order: category k has label k + 1.</summary>
    public IReadOnlyList<CocoCategory> Categories { get; }

    /// <summary>In file order.</summary>
    public IReadOnlyList<CocoAnnotation> Annotations { get; }

    /// <summary>Annotations with a zero-width or zero-height box (kept; training should skip them).</summary>
    public int EmptyBoxAnnotations { get; }

    /// <summary>Box-only annotations (no or empty "segmentation"): fine for box evaluation, refused by mask evaluation.</summary>
    public int AnnotationsWithoutSegmentation { get; }

    public int CrowdAnnotations { get; }

    public int ImagesWithoutAnnotations { get; }

    /// <summary>K, the number of object classes (labels 1..K; 0 is background).</summary>
    public int ClassCount => Categories.Count;

    /// <summary>The contiguous label 1..K of a category id: its rank among the ids, ascending (for COCO's own files,
    /// whose categories are listed by id, the same as mmdetection's mapping).</summary>
    public int LabelOf(int categoryId) =>
        labelsByCategoryId.TryGetValue(categoryId, out int label)
            ? label
            : throw new KeyNotFoundException($"{Source}: no category with id {categoryId}.");

    /// <summary>The category id of a label 1..K.</summary>
    public int CategoryIdOf(int label)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(label, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(label, Categories.Count);
        return Categories[label - 1].Id;
    }

    public bool ContainsImage(long imageId) => imagesById.ContainsKey(imageId);

    public bool ContainsCategory(int categoryId) => labelsByCategoryId.ContainsKey(categoryId);

    public CocoImage Image(long imageId) =>
        imagesById.TryGetValue(imageId, out var image) ? image : throw new KeyNotFoundException($"{Source}: no image with id {imageId}.");

    /// <summary>The annotations of one image, in file order (empty for an unknown id).</summary>
    public IReadOnlyList<CocoAnnotation> AnnotationsOf(long imageId) =>
        annotationsByImage.TryGetValue(imageId, out var annotations) ? annotations : [];

    private CocoFormatException Error(string problem) => new(Source, problem);

    private static long PolygonWalk(IReadOnlyList<double[]> polygons, CocoImage image)
    {
        long walk = 0;
        foreach (double[] part in polygons)
            walk += PolygonRasterizer.WalkLength(part, image.Height, image.Width);
        return walk;
    }

    private static string Format(CocoBox box) =>
        string.Join(", ", new[] { box.X, box.Y, box.Width, box.Height }.Select(v => v.ToString(CultureInfo.InvariantCulture)));
}

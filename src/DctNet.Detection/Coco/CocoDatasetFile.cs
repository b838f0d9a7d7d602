namespace DctNet.Detection.Coco;

/// <summary>
/// The JSON side of <see cref="CocoDataset.Load"/>: the file's shape with every field optional, so that a missing
/// field is reported by name rather than as a default value. Fields that COCO files carry beyond these (info,
/// licenses, coco_url, ...) are ignored. "iscrowd" may be absent (0); an "ignore" field is not read, as pycocotools
/// replaces it by "iscrowd".
/// </summary>
internal static class CocoDatasetFile
{
    public static CocoDataset Load(string path)
    {
        var file = CocoJson.Read<FileJson>(path, "a COCO annotation file (a JSON object with \"images\", \"categories\" and \"annotations\")");
        if (file.Images is null)
            throw new CocoFormatException(path, "no \"images\" list.");
        if (file.Categories is null)
            throw new CocoFormatException(path, "no \"categories\" list.");
        var images = file.Images.Select((image, i) => ToImage(path, image, i));
        var categories = file.Categories.Select((category, i) => ToCategory(path, category, i));
        // Image-info files (the test-dev sets) have no annotations.
        var annotations = (file.Annotations ?? []).Select((annotation, i) => ToAnnotation(path, annotation, i));
        return new CocoDataset(images, categories, annotations, path);
    }

    private static CocoImage ToImage(string path, ImageJson? image, int index)
    {
        string entry = $"images[{index}]";
        if (image is null)
            throw new CocoFormatException(path, $"{entry} is null.");
        entry += image.Id is { } id ? $" (id {id})" : "";
        return new CocoImage(
            Required(path, entry, image.Id, "id"),
            Required(path, entry, image.Width, "width"),
            Required(path, entry, image.Height, "height"),
            image.FileName);
    }

    private static CocoCategory ToCategory(string path, CategoryJson? category, int index)
    {
        string entry = $"categories[{index}]";
        if (category is null)
            throw new CocoFormatException(path, $"{entry} is null.");
        return new CocoCategory(Required(path, entry, category.Id, "id"), Required(path, entry, category.Name, "name"), category.Supercategory);
    }

    private static CocoAnnotation ToAnnotation(string path, AnnotationJson? annotation, int index)
    {
        string entry = $"annotations[{index}]";
        if (annotation is null)
            throw new CocoFormatException(path, $"{entry} is null.");
        entry += annotation.Id is { } id ? $" (id {id})" : "";
        double[] bbox = Required(path, entry, annotation.Bbox, "bbox");
        if (bbox.Length != 4)
            throw new CocoFormatException(path, $"{entry}: bbox has {bbox.Length} numbers, not 4 (x, y, width, height).");
        int crowd = annotation.Iscrowd ?? 0;
        if (crowd is not (0 or 1))
            throw new CocoFormatException(path, $"{entry}: iscrowd is {crowd}, not 0 or 1.");
        return new CocoAnnotation(
            Required(path, entry, annotation.Id, "id"),
            Required(path, entry, annotation.ImageId, "image_id"),
            Required(path, entry, annotation.CategoryId, "category_id"),
            new CocoBox(bbox[0], bbox[1], bbox[2], bbox[3]),
            Required(path, entry, annotation.Area, "area"),
            crowd == 1,
            annotation.Segmentation);
    }

    private static T Required<T>(string path, string entry, T? value, string field)
        where T : struct =>
        value ?? throw new CocoFormatException(path, $"{entry}: missing \"{field}\".");

    private static T Required<T>(string path, string entry, T? value, string field)
        where T : class =>
        value ?? throw new CocoFormatException(path, $"{entry}: missing \"{field}\".");

    private sealed class FileJson
    {
        public List<ImageJson?>? Images { get; set; }
        public List<CategoryJson?>? Categories { get; set; }
        public List<AnnotationJson?>? Annotations { get; set; }
    }

    private sealed class ImageJson
    {
        public long? Id { get; set; }
        public int? Width { get; set; }
        public int? Height { get; set; }
        public string? FileName { get; set; }
    }

    private sealed class CategoryJson
    {
        public int? Id { get; set; }
        public string? Name { get; set; }
        public string? Supercategory { get; set; }
    }

    private sealed class AnnotationJson
    {
        public long? Id { get; set; }
        public long? ImageId { get; set; }
        public int? CategoryId { get; set; }
        public double[]? Bbox { get; set; }
        public double? Area { get; set; }
        public int? Iscrowd { get; set; }
        public CocoSegmentation? Segmentation { get; set; }
    }
}

using DctNet.Demo;
using DctNet.Detection.Data;
using DctNet.Frequency.Imaging;

namespace DctNet.Detection.Tests.Data;

/// <summary>What a training set keeps, drops and refuses: every change counted, every refusal naming the file.</summary>
public sealed class CocoDetectionSetTests
{
    private const int Width = 40, Height = 30;

    [Fact]
    public void Boxes_are_clipped_and_crowd_empty_outside_and_maskless_objects_dropped_with_counts()
    {
        using var folder = new TemporaryDirectory();
        WriteImages(folder, "a.jpg", "b.jpg", "c.jpg");
        string annotations = WriteAnnotations(folder, ["a.jpg", "b.jpg", "c.jpg"],
            Object(1, 1, [5, 5, 10, 10], polygon: true),
            Object(2, 1, [30, 20, 20, 20], polygon: true),      // reaches beyond the right and bottom edges: clipped
            Object(3, 1, [5, 5, 0, 10], polygon: true),         // zero width
            Object(4, 1, [50, 40, 5, 5], polygon: true),        // entirely outside
            Object(5, 1, [2, 2, 8, 8], polygon: true, crowd: true),
            Object(6, 2, [1, 1, 5, 5], polygon: false),         // box only: no mask to learn
            Object(7, 3, [0, 0, 0, 0], polygon: true));         // image 3 keeps nothing

        var masks = CocoDetectionSet.Open(folder.Path, annotations, training: true, masks: true);
        Assert.Equal(new DetectionSetSummary(Listed: 3, Absent: 0, WithoutObjects: 2, Objects: 2, Crowd: 1, EmptyBoxes: 2, Clipped: 1, Outside: 1, WithoutSegmentation: 1),
            masks.Summary);
        var image = Assert.Single(masks.Images);
        Assert.Equal((30f, 20f, 40f, 30f), (image.Objects[1].X1, image.Objects[1].Y1, image.Objects[1].X2, image.Objects[1].Y2));
        Assert.Contains("1 of 3 images, 2 objects", masks.Summary.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 boxes clipped to their image", masks.Summary.ToString(), StringComparison.Ordinal);

        var boxes = CocoDetectionSet.Open(folder.Path, annotations, training: true, masks: false);
        Assert.Equal(2, boxes.Images.Count);
        Assert.Equal(0, boxes.Summary.WithoutSegmentation);
        var evaluation = CocoDetectionSet.Open(folder.Path, annotations, training: false, masks: false);
        Assert.Equal(3, evaluation.Images.Count);
    }

    [Fact]
    public void A_loaded_example_has_the_objects_boxes_labels_and_rasterized_masks()
    {
        using var folder = new TemporaryDirectory();
        WriteImages(folder, "a.jpg");
        string annotations = WriteAnnotations(folder, ["a.jpg"], Object(1, 1, [4, 6, 10, 8], polygon: true, category: 7));
        var set = CocoDetectionSet.Open(folder.Path, annotations, training: true, masks: true);
        var example = set.Load(0, new ImageDecoder());
        Assert.Equal([4f, 6f, 14f, 14f], example.Boxes);
        Assert.Equal([2L], example.Labels); // category 7 is the second of ids 3, 7
        // The polygon is the box outline: rasterized as COCO does, it covers the box's pixels.
        Assert.Equal(10 * 8, example.Masks!.Count(b => b == 1));
        Assert.Equal(1, example.Masks![(6 * Width) + 4]);
        Assert.Equal(0, example.Masks![(5 * Width) + 4]);
    }

    [Fact]
    public void Absent_images_are_left_out_and_counted_or_refused_when_strict()
    {
        using var folder = new TemporaryDirectory();
        WriteImages(folder, "a.jpg");
        string annotations = WriteAnnotations(folder, ["a.jpg", "missing.jpg"], Object(1, 1, [1, 1, 5, 5], polygon: true), Object(2, 2, [1, 1, 5, 5], polygon: true));
        var set = CocoDetectionSet.Open(folder.Path, annotations, training: false, masks: false);
        Assert.Equal(1, set.Summary.Absent);
        Assert.Single(set.Images);
        // Evaluation compares with the present images only.
        Assert.Single(set.Dataset.Images);
        Assert.Single(set.Dataset.Annotations);

        var error = Assert.Throws<DetectionDataException>(() => CocoDetectionSet.Open(folder.Path, annotations, training: true, masks: false, strict: true));
        Assert.Contains("missing.jpg", error.Message, StringComparison.Ordinal);
        Assert.Contains("absent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sets_that_cannot_be_used_are_refused_naming_the_file()
    {
        using var folder = new TemporaryDirectory();
        string annotations = WriteAnnotations(folder, ["a.jpg"], Object(1, 1, [1, 1, 5, 5], polygon: true));
        var none = Assert.Throws<DetectionDataException>(() => CocoDetectionSet.Open(folder.Path, annotations, training: true, masks: false));
        Assert.Contains("none of its 1 images", none.Message, StringComparison.Ordinal);
        var folderMissing = Assert.Throws<DetectionDataException>(() => CocoDetectionSet.Open(folder.File("nowhere"), annotations, training: true, masks: false));
        Assert.Contains("no such images folder", folderMissing.Message, StringComparison.Ordinal);

        string unnamed = folder.File("unnamed.json");
        File.WriteAllText(unnamed, """{"images": [{"id": 4, "width": 40, "height": 30}], "categories": [{"id": 1, "name": "x"}], "annotations": []}""");
        var noName = Assert.Throws<DetectionDataException>(() => CocoDetectionSet.Open(folder.Path, unnamed, training: false, masks: false));
        Assert.Contains("image id 4 has no \"file_name\"", noName.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_whose_size_is_not_the_annotated_one_is_an_unreadable_sample()
    {
        using var folder = new TemporaryDirectory();
        AtomicWrite(folder.File("a.jpg"), new RgbImage(Width + 2, Height));
        string annotations = WriteAnnotations(folder, ["a.jpg"], Object(1, 1, [1, 1, 5, 5], polygon: true));
        var set = CocoDetectionSet.Open(folder.Path, annotations, training: true, masks: true);
        var error = Assert.Throws<ImageDecodeException>(() => set.Load(0, new ImageDecoder()));
        Assert.Contains("decoded as 42 x 30", error.Message, StringComparison.Ordinal);
        Assert.Contains(folder.File("a.jpg"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Batches_hold_one_aspect_group_and_every_image_once_in_a_seeded_order()
    {
        bool[] landscape = [true, false, true, true, false, true, false];
        var batches = AspectRatioBatches.Create(landscape, 2, new Random(3));
        Assert.Equal(Enumerable.Range(0, 7), batches.SelectMany(b => b).Order());
        Assert.All(batches, batch => Assert.Single(batch.Select(i => landscape[i]).Distinct()));
        Assert.Equal(4, batches.Count); // 4 landscape in 2 batches, 3 portrait in 2
        Assert.Equal(batches.Count, AspectRatioBatches.Count(landscape, 2));
        Assert.Equal(batches, AspectRatioBatches.Create(landscape, 2, new Random(3)));
        Assert.NotEqual(batches, AspectRatioBatches.Create(landscape, 2, new Random(4)));
    }

    [Fact]
    public void The_rate_warms_up_linearly_from_a_third_and_drops_tenfold_after_the_decay_epochs()
    {
        // mmcv's linear warm-up: rate x (1 - (1 - ratio) x (1 - iteration / warm-up iterations)); step decay at 8 and 11 of 12.
        var options = new DctNet.Detection.Training.DetectionTrainingOptions { Model = "maskrcnn-r50-fpn", Data = "", Annotations = "", ValData = "", ValAnnotations = "" };
        Assert.Equal([8, 11], options.EffectiveDecayEpochs);
        var rate = new DctNet.Detection.Training.DetectionLearningRate(0.02, options.EffectiveDecayEpochs, 500, 1.0 / 3);
        Assert.Equal(0.02 / 3, rate.At(0, 0), 12);
        Assert.Equal(0.02 * (1 - 2.0 / 3 * 0.5), rate.At(0, 250), 12);
        Assert.Equal(0.02, rate.At(0, 500), 12);
        Assert.Equal(0.02, rate.At(7, 9999), 12);
        Assert.Equal(0.002, rate.At(8, 9999), 12);
        Assert.Equal(0.0002, rate.At(11, 9999), 12);
        Assert.Equal([4, 6], (options with { Epochs = 6 }).EffectiveDecayEpochs);
    }

    private static void WriteImages(TemporaryDirectory folder, params string[] names)
    {
        foreach (string name in names)
            AtomicWrite(folder.File(name), new RgbImage(Width, Height));
    }

    private static void AtomicWrite(string path, RgbImage image) => File.WriteAllBytes(path, SyntheticImages.EncodeJpeg(image));

    private static string Object(long id, long image, double[] box, bool polygon, bool crowd = false, int category = 3)
    {
        string segmentation = polygon
            ? $", \"segmentation\": [[{box[0]}, {box[1]}, {box[0] + box[2]}, {box[1]}, {box[0] + box[2]}, {box[1] + box[3]}, {box[0]}, {box[1] + box[3]}]]"
            : "";
        return $$"""{"id": {{id}}, "image_id": {{image}}, "category_id": {{category}}, "bbox": [{{string.Join(", ", box)}}], "area": {{box[2] * box[3]}}, "iscrowd": {{(crowd ? 1 : 0)}}{{segmentation}}}""";
    }

    private static string WriteAnnotations(TemporaryDirectory folder, string[] files, params string[] objects)
    {
        string images = string.Join(", ", files.Select((f, i) => $$"""{"id": {{i + 1}}, "file_name": "{{f}}", "width": {{Width}}, "height": {{Height}}}"""));
        string path = folder.File("instances.json");
        File.WriteAllText(path, $$"""{"images": [{{images}}], "categories": [{"id": 3, "name": "three"}, {"id": 7, "name": "seven"}], "annotations": [{{string.Join(", ", objects)}}]}""");
        return path;
    }
}

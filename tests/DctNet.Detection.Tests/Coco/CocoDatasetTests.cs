using DctNet.Detection.Coco;

namespace DctNet.Detection.Tests.Coco;

public class CocoDatasetTests
{
    [Fact]
    public void The_fixture_loads_with_its_images_annotations_and_counts()
    {
        CocoDataset dataset = CocoDataset.Load(Fixtures.PathOf("gt.json"));
        Assert.Equal(18, dataset.Images.Count);
        Assert.Equal(63, dataset.Annotations.Count);
        Assert.Equal(5, dataset.CrowdAnnotations);
        Assert.Equal(2, dataset.ImagesWithoutAnnotations);
        Assert.Equal(0, dataset.EmptyBoxAnnotations);
        Assert.Equal(0, dataset.AnnotationsWithoutSegmentation);
        Assert.Contains(dataset.Annotations, a => a.Id > uint.MaxValue); // COCO-style crowd ids beyond 32 bits
        CocoImage first = dataset.Images[0];
        Assert.Equal((6599L, 64, 48, "000000006599.jpg"), (first.Id, first.Width, first.Height, first.FileName));
    }

    [Fact]
    public void Category_ids_map_to_labels_one_to_k_in_id_order_and_back()
    {
        CocoDataset dataset = CocoDataset.Load(Fixtures.PathOf("gt.json"));
        Assert.Equal(5, dataset.ClassCount);
        Assert.Equal([1, 2, 3, 4, 5], ((int[])[3, 7, 18, 44, 90]).Select(dataset.LabelOf));
        Assert.Equal([3, 7, 18, 44, 90], Enumerable.Range(1, 5).Select(dataset.CategoryIdOf));
        var error = Assert.Throws<KeyNotFoundException>(() => dataset.LabelOf(4));
        Assert.Contains("no category with id 4", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.CategoryIdOf(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.CategoryIdOf(6));
    }

    [Fact]
    public void Categories_listed_out_of_order_still_get_labels_by_ascending_id()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.File("gt.json");
        File.WriteAllText(path, """{"images": [], "categories": [{"id": 9, "name": "b"}, {"id": 2, "name": "a"}]}""");
        CocoDataset dataset = CocoDataset.Load(path);
        Assert.Equal(1, dataset.LabelOf(2));
        Assert.Equal(2, dataset.LabelOf(9));
        Assert.Empty(dataset.Annotations);
    }

    [Fact]
    public void Zero_size_boxes_and_box_only_annotations_are_kept_and_counted()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.File("gt.json");
        File.WriteAllText(path, WithAnnotations(
            """{"id": 1, "image_id": 1, "category_id": 5, "bbox": [3, 4, 0, 10], "area": 0, "segmentation": []}""",
            """{"id": 2, "image_id": 1, "category_id": 5, "bbox": [3, 4, 6, 0], "area": 0}""",
            """{"id": 3, "image_id": 1, "category_id": 5, "bbox": [3, 4, 6, 7], "area": 30, "iscrowd": 1, "segmentation": {"size": [20, 30], "counts": [100, 20, 480]}}"""));
        CocoDataset dataset = CocoDataset.Load(path);
        Assert.Equal(3, dataset.Annotations.Count);
        Assert.Equal(2, dataset.EmptyBoxAnnotations);
        Assert.Equal(2, dataset.AnnotationsWithoutSegmentation);
        Assert.Equal(1, dataset.CrowdAnnotations);
        Assert.Equal(20, dataset.Annotations[2].Segmentation!.Mask!.Area);
        // Mask evaluation cannot use the box-only annotations.
        var error = Assert.Throws<ArgumentException>(() => CocoEvaluator.Evaluate(dataset, [], CocoIouType.Segm));
        Assert.Contains("annotation 1 has no segmentation", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"id": 1, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2]}""", "annotations[0] (id 1): missing \"area\"")]
    [InlineData("""{"id": 1, "image_id": 1, "category_id": 5, "area": 4}""", "annotations[0] (id 1): missing \"bbox\"")]
    [InlineData("""{"image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4}""", "annotations[0]: missing \"id\"")]
    [InlineData("""{"id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4}""", "annotations[0] (id 1): missing \"image_id\"")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 6, "bbox": [0, 0, 2, 2], "area": 4}""", "annotations[0] (id 7): category_id 6 is not among the categories")]
    [InlineData("""{"id": 7, "image_id": 2, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4}""", "annotations[0] (id 7): image_id 2 is not among the images")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, -2, 2], "area": 4}""", "annotations[0] (id 7): bbox [0, 0, -2, 2] has a negative width or height")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2], "area": 4}""", "annotations[0] (id 7): bbox has 3 numbers, not 4")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": -4}""", "annotations[0] (id 7): area -4 is not a finite number >= 0")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4, "iscrowd": 2}""", "annotations[0] (id 7): iscrowd is 2, not 0 or 1")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": [[1, 2, 3]]}""", "Polygon part 0 has 3 numbers")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": {"size": [20, 30], "counts": [1, 2]}}""", "Bad RLE: The run lengths add up to 3, not 20 x 30 = 600")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": {"size": [20, 30], "counts": "0 "}}""", "Bad RLE: RLE counts string has ' '")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": {"counts": "06"}}""", "needs \"size\": [height, width]")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": 5}""", "A segmentation is a list of polygons or an RLE object")]
    [InlineData("""{"id": 7, "image_id": "one", "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4}""", "$.annotations[0].image_id")]
    [InlineData("""{"id": "7", "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4}""", "$.annotations[0].id (line 1) is not a whole number within 64 bits.")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 1e400, 2], "area": 4}""", "annotations[0] (id 7): bbox has a value that is not a finite number")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": {"size": [100000, 100000], "counts": [0]}}""",
        "Bad RLE: The mask size 100000 x 100000 has more than 4294967295 pixels")]
    [InlineData("""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4}, {"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4}""",
        "annotations[1] (id 7): annotation id 7 appears twice")]
    public void Bad_annotations_are_refused_naming_the_file_the_entry_and_the_problem(string annotations, string problem)
    {
        using var folder = new TemporaryDirectory();
        string path = folder.File("bad.json");
        File.WriteAllText(path, WithAnnotations(annotations));
        var error = Assert.Throws<CocoFormatException>(() => CocoDataset.Load(path));
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"categories": []}""", "no \"images\" list")]
    [InlineData("""{"images": []}""", "no \"categories\" list")]
    [InlineData("""{"images": [{"id": 1, "width": 30}], "categories": []}""", "images[0] (id 1): missing \"height\"")]
    [InlineData("""{"images": [{"id": 1, "width": 0, "height": 5}], "categories": []}""", "images[0] (id 1): size 0 x 5")]
    [InlineData("""{"images": [{"id": 1, "width": 1000000000, "height": 5}], "categories": []}""", "images[0] (id 1): size 1000000000 x 5; width and height must be from 1 to 16777216")]
    [InlineData("""{"images": [{"id": 1, "width": 100000, "height": 100000}], "categories": []}""", "size 100000 x 100000 is more than the 4294967295 pixels a COCO mask can count")]
    [InlineData("""{"images": [{"id": 1, "width": 1e10, "height": 5}], "categories": []}""", "$.images[0].width (line 1) is not a whole number from -2147483648 to 2147483647.")]
    [InlineData("""{"images": [{"id": 1.5, "width": 3, "height": 5}], "categories": []}""", "$.images[0].id (line 1) is not a whole number within 64 bits.")]
    [InlineData("""{"images": [{"id": 1, "width": 3, "height": 5}, {"id": 1, "width": 3, "height": 5}], "categories": []}""", "images[1]: image id 1 appears twice")]
    [InlineData("""{"images": [], "categories": [{"id": 1}]}""", "categories[0]: missing \"name\"")]
    [InlineData("""{"images": [], "categories": [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}]}""", "category id 1 appears twice")]
    [InlineData("""{"images": [null], "categories": []}""", "images[0] is null")]
    [InlineData("""[1, 2]""", "not a COCO annotation file (a JSON object with \"images\", \"categories\" and \"annotations\").")]
    [InlineData("""{"images": [""", "Path: $.images")]
    [InlineData("""null""", "the file holds JSON null")]
    public void Bad_files_are_refused_with_the_problem(string json, string problem)
    {
        using var folder = new TemporaryDirectory();
        string path = folder.File("bad.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<CocoFormatException>(() => CocoDataset.Load(path));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_polygon_with_huge_coordinates_rasterizes_as_its_part_inside_the_image_without_walking_its_length()
    {
        // A band from x = -1e12 to 1e12 across rows 10 to 20 is, inside a 640 x 480 image, the band from -10 to 650.
        double[] huge = [-1e12, 10, 1e12, 10, 1e12, 20, -1e12, 20];
        double[] near = [-10, 10, 650, 10, 650, 20, -10, 20];
        var started = System.Diagnostics.Stopwatch.StartNew();
        Rle band = Rle.FromPolygon(huge, 480, 640);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
        Assert.Equal(Rle.FromPolygon(near, 480, 640).Counts.ToArray(), band.Counts.ToArray());
        Assert.Equal(640 * 10, band.Area);
        // Corners at the ends of double's range: the whole image, no overflow on the way.
        Assert.Equal(640 * 480, Rle.FromPolygon([-1.7e308, -1.7e308, 1.7e308, -1.7e308, 1.7e308, 1.7e308, -1.7e308, 1.7e308], 480, 640).Area);
        // Entirely outside: nothing.
        Assert.Equal(0, Rle.FromPolygon([1e15, 1e15, 2e15, 1e15, 2e15, 2e15], 480, 640).Area);
    }

    [Fact]
    public void A_self_crossing_polygon_clipped_at_the_margin_keeps_its_even_odd_region()
    {
        // A bow-tie of the diagonals y = x and y = -x, closed a billion pixels away: inside the image (x, y >= 0),
        // the pixels with y < x.
        Rle mask = Rle.FromPolygon([-1e9, -1e9, 1e9, 1e9, 1e9, -1e9, -1e9, 1e9], 100, 100);
        Assert.InRange(mask.Area, 4900, 5100);
        byte[] columnMajor = mask.Decode();
        Assert.Equal(1, columnMajor[90 * 100 + 10]); // x = 90, y = 10
        Assert.Equal(0, columnMajor[10 * 100 + 90]); // x = 10, y = 90
    }

    [Fact]
    public void An_outline_longer_than_any_object_is_refused_before_it_is_walked()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.File("long.json");
        // Ten crossings of a 16-million-pixel-wide image: 800 million points to walk.
        var zigzag = string.Join(", ", Enumerable.Range(0, 10).Select(i => $"{(i % 2 == 0 ? 0 : 16_000_000)}, {i * 10}"));
        File.WriteAllText(path, $$"""
            {"images": [{"id": 1, "width": 16000000, "height": 200}], "categories": [{"id": 5, "name": "cat"}],
             "annotations": [{"id": 7, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": [[{{zigzag}}]]}]}
            """);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<CocoFormatException>(() => CocoDataset.Load(path));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
        Assert.Contains("annotations[0] (id 7): the polygon outline is 160000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Outlines_beyond_the_files_budget_are_refused_at_the_annotation_that_passes_it()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.File("many.json");
        // Each object's outline, there and back across 1.6 million pixels, walks 16 million points: under the
        // per-object bound; the 94th passes the file's 1.5e9.
        var annotations = Enumerable.Range(1, 100).Select(id =>
            $$"""{"id": {{id}}, "image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "area": 4, "segmentation": [[0, 0, 1600000, 1]]}""");
        File.WriteAllText(path, $$"""
            {"images": [{"id": 1, "width": 2000000, "height": 100}], "categories": [{"id": 5, "name": "cat"}], "annotations": [{{string.Join(", ", annotations)}}]}
            """);
        var error = Assert.Throws<CocoFormatException>(() => CocoDataset.Load(path));
        Assert.Contains("annotations[93] (id 94): the polygon outlines up to here are", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Many_points_in_one_polygon_are_read_and_rasterized_in_bounded_time()
    {
        // 2 million vertices on a small circle: a long list, a short walk.
        using var folder = new TemporaryDirectory();
        string path = folder.File("points.json");
        var points = string.Join(", ", Enumerable.Range(0, 2_000_000).Select(i => FormattableString.Invariant($"{15 + 5 * Math.Cos(i * Math.Tau / 2e6):F4}, {10 + 5 * Math.Sin(i * Math.Tau / 2e6):F4}")));
        File.WriteAllText(path, WithAnnotations($$"""{"id": 7, "image_id": 1, "category_id": 5, "bbox": [10, 5, 10, 10], "area": 78, "segmentation": [[{{points}}]]}"""));
        var started = System.Diagnostics.Stopwatch.StartNew();
        CocoDataset dataset = CocoDataset.Load(path);
        Rle mask = dataset.Annotations[0].Segmentation!.ToRle(20, 30);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"took {started.Elapsed}");
        Assert.InRange(mask.Area, 60, 110);
    }

    private static string WithAnnotations(params string[] annotations) =>
        $$"""{"images": [{"id": 1, "width": 30, "height": 20, "file_name": "a.jpg"}], "categories": [{"id": 5, "name": "cat"}], "annotations": [{{string.Join(", ", annotations)}}]}""";
}

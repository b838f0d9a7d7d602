using DctNet.Detection.Coco;

namespace DctNet.Detection.Tests.Coco;

public class CocoResultsTests
{
    [Fact]
    public void Written_results_read_back_equal_boxes_masks_and_scores_exactly()
    {
        Rle mask = Rle.FromPolygon([1.5, 2.25, 17.75, 3, 9, 14.125], 20, 30);
        CocoDetection[] detections =
        [
            new(581929, 90, 0.987654321012345, new CocoBox(0.1, 0.2, 10.333333333333334, 1e-7), null),
            new(3, 1, 0.05, null, mask),
            new(3, 1, 0.5, new CocoBox(1, 2, 3, 4), mask),
        ];
        using var folder = new TemporaryDirectory();
        string path = folder.File("results.json");
        CocoResults.Write(path, detections);
        var back = CocoResults.Read(path);
        Assert.Equal(3, back.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal((detections[i].ImageId, detections[i].CategoryId, detections[i].Score, detections[i].Box),
                (back[i].ImageId, back[i].CategoryId, back[i].Score, back[i].Box));
            Assert.Equal(detections[i].Mask?.Counts.ToArray(), back[i].Mask?.Counts.ToArray());
            Assert.Equal((detections[i].Mask?.Height, detections[i].Mask?.Width), (back[i].Mask?.Height, back[i].Mask?.Width));
        }
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void The_written_file_is_the_coco_results_format()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.File("results.json");
        CocoResults.Write(path, [new CocoDetection(7, 3, 0.25, new CocoBox(1, 2, 3.5, 4), Rle.Encode([0, 1, 1, 0], 2, 2))]);
        Assert.Equal("""[{"image_id":7,"category_id":3,"bbox":[1,2,3.5,4],"segmentation":{"size":[2,2],"counts":"121"},"score":0.25}]""",
            File.ReadAllText(path));
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_and_no_temporary()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.File("results.json");
        CocoResults.Write(path, [new CocoDetection(7, 3, 0.25, new CocoBox(1, 2, 3, 4), null)]);
        string before = File.ReadAllText(path);
        Assert.Throws<ArgumentException>(() => CocoResults.Write(path,
            [new CocoDetection(7, 3, 0.5, new CocoBox(1, 2, 3, 4), null), new CocoDetection(8, 3, double.NaN, new CocoBox(1, 2, 3, 4), null)]));
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void The_fixture_results_read_as_boxes_or_masks()
    {
        var boxes = CocoResults.Read(Fixtures.PathOf("dt_bbox.json"));
        var masks = CocoResults.Read(Fixtures.PathOf("dt_segm.json"));
        Assert.Equal(230, boxes.Count);
        Assert.All(boxes, d => Assert.True(d.Box is not null && d.Mask is null));
        Assert.All(masks, d => Assert.True(d.Box is null && d.Mask is not null));
    }

    [Theory]
    [InlineData("""[{"category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]""", "results[0]: missing \"image_id\"")]
    [InlineData("""[{"image_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]""", "results[0]: missing \"category_id\"")]
    [InlineData("""[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}]""", "results[0]: missing \"score\"")]
    [InlineData("""[{"image_id": 1, "category_id": 1, "score": 0.5}]""", "results[0]: neither \"bbox\" nor \"segmentation\"")]
    [InlineData("""[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 0.5}]""", "results[0]: bbox is not 4 finite numbers")]
    [InlineData("""[{"image_id": 1, "category_id": 1, "segmentation": [[1, 2, 3, 4, 5, 6]], "score": 0.5}]""", "must be an RLE object, not polygons")]
    [InlineData("""{"image_id": 1}""", "not a COCO results file (a JSON list of detections).")]
    public void Bad_results_are_refused_naming_the_entry(string json, string problem)
    {
        using var folder = new TemporaryDirectory();
        string path = folder.File("results.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<CocoFormatException>(() => CocoResults.Read(path));
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}

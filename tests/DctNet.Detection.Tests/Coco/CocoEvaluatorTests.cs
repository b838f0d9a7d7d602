using DctNet.Detection.Coco;

namespace DctNet.Detection.Tests.Coco;

/// <summary>Hand-made cases whose numbers follow from the COCOeval rules directly.</summary>
public class CocoEvaluatorTests
{
    private static readonly CocoImage Image = new(1, 200, 100);
    private static readonly CocoCategory Dog = new(18, "dog");

    private static CocoAnnotation Truth(long id, CocoBox box, bool crowd = false) =>
        new(id, 1, Dog.Id, box, box.Area, crowd, CocoSegmentation.FromPolygons([[box.X, box.Y, box.X + box.Width, box.Y, box.X + box.Width, box.Y + box.Height, box.X, box.Y + box.Height]]));

    private static CocoDataset Dataset(params CocoAnnotation[] annotations) => new([Image], [Dog], annotations);

    /// <summary>Precision is tp / (tp + fp + 2.2e-16), as in pycocotools, so a perfect score is 1 - 1e-16.</summary>
    private static void AssertStats(double[] expected, CocoEvaluation evaluation)
    {
        Assert.Equal(expected.Length, evaluation.Stats.Count);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], evaluation.Stats[i], 12);
    }

    [Fact]
    public void Perfect_boxes_score_one_and_undefined_area_ranges_minus_one()
    {
        var box = new CocoBox(10, 10, 50, 40); // 2000 px: medium
        var evaluation = CocoEvaluator.Evaluate(Dataset(Truth(1, box)), [new CocoDetection(1, 18, 0.9, box, null)], CocoIouType.Bbox);
        AssertStats([1, 1, 1, -1, 1, -1, 1, 1, 1, -1, 1, -1], evaluation);
    }

    [Fact]
    public void No_detections_score_zero_where_there_is_ground_truth()
    {
        var evaluation = CocoEvaluator.Evaluate(Dataset(Truth(1, new CocoBox(10, 10, 50, 40))), [], CocoIouType.Segm);
        AssertStats([0, 0, 0, -1, 0, -1, 0, 0, 0, -1, 0, -1], evaluation);
    }

    [Fact]
    public void Detections_inside_a_crowd_region_are_neither_hits_nor_false_positives()
    {
        var truth = new CocoBox(10, 10, 50, 40);
        var dataset = Dataset(Truth(1, truth), Truth(2, new CocoBox(100, 0, 100, 100), crowd: true));
        CocoDetection[] withCrowdHits =
        [
            new(1, 18, 0.5, truth, null),
            new(1, 18, 0.9, new CocoBox(110, 10, 20, 20), null),
            new(1, 18, 0.8, new CocoBox(150, 50, 20, 20), null),
        ];
        var evaluation = CocoEvaluator.Evaluate(dataset, withCrowdHits, CocoIouType.Bbox);
        Assert.Equal(1.0, evaluation.Ap, 12);
        // The same detections outside the crowd region are false positives ranked above the hit.
        var outside = CocoEvaluator.Evaluate(Dataset(Truth(1, truth)), withCrowdHits, CocoIouType.Bbox);
        Assert.Equal(1.0 / 3, outside.Ap, 12);
    }

    [Fact]
    public void A_duplicate_detection_is_a_false_positive()
    {
        var box = new CocoBox(10, 10, 50, 40);
        CocoDetection[] detections = [new(1, 18, 0.9, box, null), new(1, 18, 0.8, box, null)];
        var evaluation = CocoEvaluator.Evaluate(Dataset(Truth(1, box)), detections, CocoIouType.Bbox);
        Assert.Equal(1.0, evaluation.Ap, 12); // the envelope keeps precision 1 up to recall 1
        Assert.Equal(1.0, evaluation.Ar1);
        var swapped = CocoEvaluator.Evaluate(Dataset(Truth(1, box)), [detections[1] with { Score = 0.95, Box = new CocoBox(150, 60, 10, 10) }, detections[0]], CocoIouType.Bbox);
        Assert.Equal(0.5, swapped.Ap, 12);
        Assert.Equal(0.0, swapped.Ar1);
    }

    [Fact]
    public void Unknown_images_and_categories_in_the_results_are_refused()
    {
        var dataset = Dataset(Truth(1, new CocoBox(10, 10, 50, 40)));
        var image = Assert.Throws<ArgumentException>(() => CocoEvaluator.Evaluate(dataset, [new(2, 18, 0.5, new CocoBox(0, 0, 1, 1), null)], CocoIouType.Bbox));
        Assert.Contains("Detection 0 is on image 2", image.Message, StringComparison.Ordinal);
        var category = Assert.Throws<ArgumentException>(() => CocoEvaluator.Evaluate(dataset, [new(1, 17, 0.5, new CocoBox(0, 0, 1, 1), null)], CocoIouType.Bbox));
        Assert.Contains("Detection 0 has category 17", category.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_summary_prints_as_pycocotools()
    {
        var evaluation = CocoEvaluator.Evaluate(Dataset(Truth(1, new CocoBox(10, 10, 50, 40))), [], CocoIouType.Bbox);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.000", evaluation.SummaryLines().First());
        Assert.Equal(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000", evaluation.SummaryLines().Last());
    }
}

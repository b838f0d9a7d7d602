using System.Text.Json;
using DctNet.Detection.Coco;

namespace DctNet.Detection.Tests.Coco;

/// <summary>
/// COCO evaluation against pycocotools' COCOeval on the synthetic set of eval.json (crowds as RLE and polygons,
/// non-contiguous categories, empty images, score ties, > 100 detections on an image, 'area' fields that differ
/// from the masks): bbox, segm from masks alone, segm with boxes (loadRes' w*h areas) and bbox from masks alone.
/// </summary>
public class CocoEvaluatorGoldenTests
{
    private static readonly JsonElement Golden = Fixtures.Json("eval.json");
    private static readonly Lazy<CocoDataset> GroundTruth = new(() => CocoDataset.Load(Fixtures.PathOf("gt.json")));

    public static TheoryData<string> Runs()
    {
        var runs = new TheoryData<string>();
        foreach (var run in Golden.GetProperty("runs").EnumerateArray())
            runs.Add(run.GetProperty("name").GetString()!);
        return runs;
    }

    private static JsonElement Run(string name) =>
        Golden.GetProperty("runs").EnumerateArray().Single(run => run.GetProperty("name").GetString() == name);

    private static CocoEvaluation Evaluate(JsonElement run)
    {
        var detections = CocoResults.Read(Fixtures.PathOf(run.GetProperty("results").GetString()!));
        var iouType = run.GetProperty("iou_type").GetString() == "bbox" ? CocoIouType.Bbox : CocoIouType.Segm;
        return CocoEvaluator.Evaluate(GroundTruth.Value, detections, iouType);
    }

    [Fact]
    public void The_thresholds_are_numpys_linspace_values()
    {
        Assert.Equal(Golden.GetProperty("iou_thresholds").EnumerateArray().Select(v => v.GetDouble()), CocoEvaluator.IouThresholds);
        Assert.Equal(Golden.GetProperty("recall_thresholds").EnumerateArray().Select(v => v.GetDouble()), CocoEvaluator.RecallThresholds);
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void The_twelve_numbers_equal_pycocotools(string name)
    {
        JsonElement run = Run(name);
        CocoEvaluation evaluation = Evaluate(run);
        double[] expected = [.. run.GetProperty("stats").EnumerateArray().Select(v => v.GetDouble())];
        Assert.Equal(12, evaluation.Stats.Count);
        for (int i = 0; i < 12; i++)
            Assert.True(Math.Abs(expected[i] - evaluation.Stats[i]) <= 1e-4, $"{name} stats[{i}]: pycocotools {expected[i]}, DctNet {evaluation.Stats[i]}");
        Assert.Equal(run.GetProperty("summary_lines").EnumerateArray().Select(v => v.GetString()), evaluation.SummaryLines());
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Recall_and_precision_per_category_area_and_limit_equal_pycocotools(string name)
    {
        JsonElement run = Run(name);
        CocoEvaluation evaluation = Evaluate(run);
        // recall [T][K][A][M]; mean_precision: precision averaged over the 101 recall points, [T][K][A][M].
        var recall = run.GetProperty("recall");
        var meanPrecision = run.GetProperty("mean_precision");
        int points = CocoEvaluator.RecallThresholds.Count;
        for (int t = 0; t < recall.GetArrayLength(); t++)
        {
            for (int k = 0; k < recall[t].GetArrayLength(); k++)
            {
                for (int a = 0; a < recall[t][k].GetArrayLength(); a++)
                {
                    for (int m = 0; m < recall[t][k][a].GetArrayLength(); m++)
                    {
                        Assert.Equal(recall[t][k][a][m].GetDouble(), evaluation.Recall[t, k, a, m], 12);
                        double sum = 0;
                        for (int r = 0; r < points; r++)
                            sum += evaluation.Precision[t, r, k, a, m];
                        double mean = evaluation.Precision[t, 0, k, a, m] > -1 ? sum / points : -1;
                        Assert.Equal(meanPrecision[t][k][a][m].GetDouble(), mean, 12);
                    }
                }
            }
        }
    }

    [Fact]
    public void The_fixture_exercises_what_it_claims()
    {
        CocoDataset truth = GroundTruth.Value;
        Assert.Contains(truth.Annotations, a => a.IsCrowd && a.Segmentation!.Mask is not null);
        Assert.Contains(truth.Annotations, a => a.IsCrowd && a.Segmentation!.Polygons is not null);
        Assert.Contains(truth.Annotations, a => !a.IsCrowd && a.Segmentation!.Mask is not null);
        Assert.Contains(truth.Annotations, a => a.Segmentation!.Polygons is { Count: > 1 });
        var detections = CocoResults.Read(Fixtures.PathOf("dt_bbox.json"));
        Assert.Contains(detections.GroupBy(d => (d.ImageId, d.CategoryId)), group => group.Count() > 100);
        Assert.Contains(truth.Images, image => truth.AnnotationsOf(image.Id).Count == 0 && detections.All(d => d.ImageId != image.Id));
        Assert.Contains(truth.Images, image => truth.AnnotationsOf(image.Id).Count > 0 && detections.All(d => d.ImageId != image.Id));
        Assert.Contains(truth.Images, image => truth.AnnotationsOf(image.Id).Count == 0 && detections.Any(d => d.ImageId == image.Id));
        Assert.True(detections.Select(d => d.Score).Distinct().Count() < detections.Count / 4, "score ties");
        var stats = Run("bbox").GetProperty("stats").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.All(stats, value => Assert.True(value > 0, "every area range has ground truth and matches"));
    }
}

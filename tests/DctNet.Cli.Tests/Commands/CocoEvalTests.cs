using System.Globalization;
using System.Text.Json;

namespace DctNet.Cli.Tests.Commands;

/// <summary><c>dctnet coco-eval</c> against tests/fixtures/coco, whose eval.json holds the real pycocotools' stats (tools/coco/make_fixtures.py).</summary>
public sealed class CocoEvalTests
{
    private static readonly string Coco = Path.Combine(CliHarness.RepositoryRoot, "tests", "fixtures", "coco");
    private static readonly string GroundTruth = Path.Combine(Coco, "gt.json");
    private static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    /// <summary>The stats pycocotools computed for a run of eval.json.</summary>
    private static double[] PycocotoolsStats(string run)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Coco, "eval.json")));
        var entry = json.RootElement.GetProperty("runs").EnumerateArray().Single(r => r.GetProperty("name").GetString() == run);
        return [.. entry.GetProperty("stats").EnumerateArray().Select(s => s.GetDouble())];
    }

    [Theory]
    [InlineData("bbox", "dt_bbox.json", "bbox")]
    [InlineData("segm", "dt_segm.json", "segm")]
    [InlineData("segm_box", "dt_segm_box.json", "segm")]
    [InlineData("bbox_from_masks", "dt_segm.json", "bbox")]
    public void Prints_pycocotools_summary_and_writes_the_12_numbers(string run, string results, string iouType)
    {
        using var harness = new CliHarness();
        double[] expected = PycocotoolsStats(run);

        var result = CliHarness.Run("coco-eval", "--gt", GroundTruth, "--dt", Path.Combine(Coco, results), "--iou-type", iouType, "--json", harness.PathIn("stats.json"));

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, lines.Length);
        Assert.Equal(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = " + expected[0].ToString("0.000", CultureInfo.InvariantCulture), lines[0]);
        Assert.Equal(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = " + expected[11].ToString("0.000", CultureInfo.InvariantCulture), lines[11]);
        Assert.Equal(expected.Select(s => s.ToString("0.000", CultureInfo.InvariantCulture)), lines.Select(line => line[^5..]));

        using var json = JsonDocument.Parse(File.ReadAllText(harness.PathIn("stats.json")));
        for (int i = 0; i < StatNames.Length; i++)
            Assert.Equal(expected[i], json.RootElement.GetProperty(StatNames[i]).GetDouble(), 1e-12);
        Assert.Equal(iouType, json.RootElement.GetProperty("iou_type").GetString());
        Assert.Equal(["stats.json"], CliHarness.FilesBelow(harness.Temp));
    }

    [Fact]
    public void A_missing_results_file_is_one_line_naming_it_and_exit_1()
    {
        using var harness = new CliHarness();
        string missing = harness.PathIn("nope.json");

        var result = CliHarness.Run("coco-eval", "--gt", GroundTruth, "--dt", missing, "--json", harness.PathIn("stats.json"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: {missing}: does not exist"], result.ErrorLines);
        Assert.Empty(result.Out);
        Assert.Empty(CliHarness.FilesBelow(harness.Temp));
    }

    [Fact]
    public void Swapped_files_are_refused_in_COCO_words()
    {
        string results = Path.Combine(Coco, "dt_bbox.json");

        var asResults = CliHarness.Run("coco-eval", "--gt", GroundTruth, "--dt", GroundTruth);
        var asAnnotations = CliHarness.Run("coco-eval", "--gt", results, "--dt", results);

        Assert.Equal(1, asResults.ExitCode);
        Assert.Equal([$"error: {GroundTruth}: not a COCO results file (a JSON list of detections)."], asResults.ErrorLines);
        Assert.Equal(1, asAnnotations.ExitCode);
        Assert.Equal([$"error: {results}: not a COCO annotation file (a JSON object with \"images\", \"categories\" and \"annotations\")."], asAnnotations.ErrorLines);
    }

    [Fact]
    public void Results_on_an_unknown_image_name_the_results_file()
    {
        using var harness = new CliHarness();
        string results = harness.Write("dt.json", """[{"image_id": 987654, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5}]"""u8.ToArray());

        var result = CliHarness.Run("coco-eval", "--gt", GroundTruth, "--dt", results);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: {results}: Detection 0 is on image 987654, which {GroundTruth} does not have."], result.ErrorLines);
    }

    [Theory]
    [InlineData("--iou-type", "keypoints")]
    [InlineData("--dt")]
    public void Usage_mistakes_exit_2(params string[] extra)
    {
        var result = CliHarness.Run(["coco-eval", "--gt", GroundTruth, .. extra]);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.EndsWith("(see 'dctnet coco-eval --help')", result.ErrorLines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_ground_truth_polygon_of_huge_coordinates_is_evaluated_as_its_part_in_the_image()
    {
        using var harness = new CliHarness();
        // The object covers the whole 64 x 48 image; so does the detection: a perfect match.
        string gt = harness.Write("gt.json", System.Text.Encoding.UTF8.GetBytes("""
            {"images": [{"id": 1, "width": 64, "height": 48}], "categories": [{"id": 1, "name": "all"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 64, 48], "area": 3072,
                              "segmentation": [[-1e300, -1e300, 1e300, -1e300, 1e300, 1e300, -1e300, 1e300]]}]}
            """));
        string dt = harness.Write("dt.json", System.Text.Encoding.UTF8.GetBytes("""
            [{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {"size": [48, 64], "counts": [0, 3072]}}]
            """));

        var result = CliHarness.Run("coco-eval", "--gt", gt, "--dt", dt, "--iou-type", "segm");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.EndsWith("= 1.000", result.Out.Split('\n')[0]);
    }

    [Fact]
    public void An_image_size_beyond_what_a_mask_can_count_is_one_line_naming_the_file()
    {
        using var harness = new CliHarness();
        string gt = harness.Write("gt.json", System.Text.Encoding.UTF8.GetBytes("""
            {"images": [{"id": 1, "width": 1000000000, "height": 1000000000}], "categories": [{"id": 1, "name": "all"}], "annotations": []}
            """));

        var result = CliHarness.Run("coco-eval", "--gt", gt, "--dt", Path.Combine(Coco, "dt_bbox.json"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: {gt}: images[0] (id 1): size 1000000000 x 1000000000; width and height must be from 1 to 16777216.", Assert.Single(result.ErrorLines));
    }
}

using System.Globalization;
using System.Text;

namespace DctNet.Fuzz;

/// <summary>
/// Issue 11, class 3: hostile COCO annotation and results files, fed to <c>coco-eval</c> (which needs no images and no
/// model). Each is refused with one line naming gt.json or dt.json, or, for polygons that are merely extreme, evaluated
/// correctly and quickly.
/// </summary>
internal static class CocoCases
{
    private const string GroundTruth = "gt.json";
    private const string Results = "dt.json";

    private const string Category = """{"id": 1, "name": "thing"}""";
    private const string Image = """{"id": 1, "width": 640, "height": 480, "file_name": "a.jpg"}""";

    public static IEnumerable<FuzzCase> Write(FuzzCorpus corpus)
    {
        string validResults = Path.Combine(corpus.Shared, "coco-dt.json");
        File.WriteAllText(validResults, """[{"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9, "segmentation": {"size": [480, 640], "counts": [307200]}}]""");
        string validGroundTruth = Path.Combine(corpus.Shared, "coco-gt.json");
        File.WriteAllText(validGroundTruth, AnnotationFile(Image, Annotation("[10, 10, 50, 50]", """, "segmentation": [[10, 10, 60, 10, 60, 60, 10, 60]]""")));

        // Hostile annotation files, evaluated against valid results.
        var groundTruths = new (string Name, string Json, bool MaySucceed)[]
        {
            ("polygon-huge-coordinates", AnnotationFile(Image, Annotation("[0, 0, 640, 480]", """, "segmentation": [[-1e300, -1e300, 1e300, -1e300, 1e300, 1e300, -1e300, 1e300]]""")), true),
            ("polygon-far-zigzag", AnnotationFile(Image, Annotation("[0, 0, 640, 480]", $$""", "segmentation": [[{{string.Join(", ", Enumerable.Range(0, 200).Select(i => FormattableString.Invariant($"{(i % 2 == 0 ? -1e15 : 1e15)}, {i * 2}")))}}]]""")), true),
            ("polygon-many-points", AnnotationFile(Image, Annotation("[300, 220, 40, 40]", $$""", "segmentation": [[{{Circle(1_000_000)}}]]""")), true),
            ("polygon-outline-too-long", AnnotationFile("""{"id": 1, "width": 16000000, "height": 200}""",
                Annotation("[0, 0, 2, 2]", $$""", "segmentation": [[{{string.Join(", ", Enumerable.Range(0, 10).Select(i => FormattableString.Invariant($"{(i % 2 == 0 ? 0 : 16_000_000)}, {i * 10}")))}}]]""")), false),
            ("polygon-odd-length", AnnotationFile(Image, Annotation("[0, 0, 2, 2]", """, "segmentation": [[1, 2, 3]]""")), false),
            ("polygon-nested-too-deep", AnnotationFile(Image, Annotation("[0, 0, 2, 2]", """, "segmentation": [[[1, 2]]]""")), false),
            ("image-width-zero", AnnotationFile("""{"id": 1, "width": 0, "height": 480}""", Annotation("[0, 0, 2, 2]", "")), false),
            ("image-width-1e9", AnnotationFile("""{"id": 1, "width": 1000000000, "height": 1}""", Annotation("[0, 0, 2, 2]", "")), false),
            ("image-width-beyond-int", AnnotationFile("""{"id": 1, "width": 1e10, "height": 480}""", Annotation("[0, 0, 2, 2]", "")), false),
            ("image-pixels-beyond-32-bits", AnnotationFile("""{"id": 1, "width": 100000, "height": 100000}""", Annotation("[0, 0, 2, 2]", "")), false),
            ("bbox-missing", AnnotationFile(Image, """{"id": 1, "image_id": 1, "category_id": 1, "area": 4}"""), false),
            ("bbox-nan", AnnotationFile(Image, Annotation("[0, 0, NaN, 2]", "")), false),
            ("bbox-infinite", AnnotationFile(Image, Annotation("[0, 0, 1e400, 2]", "")), false),
            ("bbox-negative", AnnotationFile(Image, Annotation("[0, 0, -5, 2]", "")), false),
            ("annotation-id-string", AnnotationFile(Image, """{"id": "7", "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2], "area": 4}"""), false),
            ("annotation-id-fraction", AnnotationFile(Image, """{"id": 7.5, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2], "area": 4}"""), false),
            ("category-unknown", AnnotationFile(Image, """{"id": 7, "image_id": 1, "category_id": 99, "bbox": [0, 0, 2, 2], "area": 4}"""), false),
            ("crowd-rle-counts-overflow", AnnotationFile(Image, Annotation("[0, 0, 2, 2]", """, "iscrowd": 1, "segmentation": {"size": [480, 640], "counts": [4294967295, 4294967295]}""")), false),
            ("crowd-rle-string-overflow", AnnotationFile(Image, Annotation("[0, 0, 2, 2]", """, "iscrowd": 1, "segmentation": {"size": [480, 640], "counts": "oooooooooooooo0"}""")), false),
            ("rle-size-beyond-32-bits", AnnotationFile(Image, Annotation("[0, 0, 2, 2]", """, "iscrowd": 1, "segmentation": {"size": [100000, 100000], "counts": [0]}""")), false),
            ("deeply-nested", new string('[', 100_000) + new string(']', 100_000), false),
            ("not-json", "\u0000\u0001 not json", false),
        };
        foreach (var (name, json, maySucceed) in groundTruths)
        {
            string directory = corpus.CaseDirectory("coco", name);
            FuzzCorpus.WriteFile(directory, GroundTruth, Encoding.UTF8.GetBytes(json));
            yield return new FuzzCase("coco", name, directory, ["coco-eval", "--gt", GroundTruth, "--dt", validResults, "--iou-type", "segm"], GroundTruth, maySucceed);
        }

        // Hostile results files, evaluated against a valid annotation file.
        var results = new (string Name, string Json)[]
        {
            ("results-unknown-image", """[{"image_id": 99, "category_id": 1, "bbox": [0, 0, 2, 2], "score": 0.5}]"""),
            ("results-rle-size-beyond-32-bits", """[{"image_id": 1, "category_id": 1, "score": 0.5, "segmentation": {"size": [1000000000, 1000000000], "counts": "0"}}]"""),
            ("results-score-missing", """[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2]}]"""),
            ("results-not-a-list", """{"image_id": 1}"""),
        };
        foreach (var (name, json) in results)
        {
            string directory = corpus.CaseDirectory("coco", name);
            FuzzCorpus.WriteFile(directory, Results, Encoding.UTF8.GetBytes(json));
            yield return new FuzzCase("coco", name, directory, ["coco-eval", "--gt", validGroundTruth, "--dt", Results, "--iou-type", "segm"], Results);
        }
    }

    private static string AnnotationFile(string image, string annotation) =>
        $$"""{"images": [{{image}}], "categories": [{{Category}}], "annotations": [{{annotation}}]}""";

    private static string Annotation(string bbox, string rest) =>
        $$"""{"id": 1, "image_id": 1, "category_id": 1, "bbox": {{bbox}}, "area": 100{{rest}}}""";

    /// <summary>A circle of radius 20 around (320, 240) through <paramref name="points"/> vertices: a long list, a short outline.</summary>
    private static string Circle(int points) => string.Join(", ", Enumerable.Range(0, points).Select(i =>
        string.Create(CultureInfo.InvariantCulture, $"{320 + 20 * Math.Cos(i * Math.Tau / points):F2}, {240 + 20 * Math.Sin(i * Math.Tau / points):F2}")));
}

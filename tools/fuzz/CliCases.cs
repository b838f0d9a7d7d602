namespace DctNet.Fuzz;

/// <summary>
/// Issue 11, class 5: command lines with absurd values. Each is a usage error (exit 2) naming the option, decided
/// when the command line is parsed, before anything is read or written.
/// </summary>
internal static class CliCases
{
    public static IEnumerable<FuzzCase> Write(FuzzCorpus corpus)
    {
        // Inputs that the refusals come before: a file that is not really an image, and weights that do not exist.
        string image = Path.Combine(corpus.Shared, "not-decoded.jpg");
        File.WriteAllBytes(image, [0xff, 0xd8, 0xff, 0xd9]);
        string[] transform = ["transform", image, "--out", "out.npy"];
        string[] train = ["train", "--model", "resnet18-dct-s2", "--data", "data", "--out", "run"];
        string[] trainDet = ["train-det", "--model", "maskrcnn-r50-fpn", "--data", "images", "--annotations", "gt.json",
            "--val-data", "images", "--val-annotations", "gt.json", "--out", "run"];
        string[] predict = ["predict", "--model", "resnet18-dct-s2", "--weights", "absent.safetensors", image];

        var cases = new (string Name, string[] Arguments, string Option)[]
        {
            ("threads-100000", [.. transform, "--threads", "100000"], "--threads"),
            ("crop-40000", [.. transform, "--crop", "40000"], "--crop"),
            ("crop-near-int-max", [.. transform, "--crop", "2147483640"], "--crop"),
            ("resize-negative", [.. transform, "--resize", "-8"], "--resize"),
            ("max-pixels-zero", [.. transform, "--max-pixels", "0"], "--max-pixels"),
            ("out-empty", ["transform", image, "--out", ""], "--out"),
            ("input-empty", ["transform", "", "--out", "out.npy"], "image-or-folder"),
            ("batch-size-zero", [.. predict, "--batch-size", "0"], "--batch-size"),
            ("batch-size-huge", ["bench", "model", "--model", "resnet50-dct", "--batch-size", "100000"], "--batch-size"),
            ("bench-detect-huge-image", ["bench", "detect", "--model", "maskrcnn-r50-fpn", "--height", "100000", "--width", "100000"], "--height"),
            ("classes-huge", ["info", "--model", "resnet50-dct", "--classes", "2000000000"], "--classes"),
            ("topk-zero", [.. predict, "--topk", "0"], "--topk"),
            ("device-bogus", [.. predict, "--device", "bogus"], "--device"),
            ("epochs-zero", [.. train, "--epochs", "0"], "--epochs"),
            ("lr-nan", [.. train, "--lr", "nan"], "--lr"),
            ("lr-infinite", [.. train, "--lr", "Infinity"], "--lr"),
            ("momentum-one", [.. train, "--momentum", "1"], "--momentum"),
            ("weight-decay-negative", [.. train, "--weight-decay", "-1e-4"], "--weight-decay"),
            ("train-crop-not-in-range", [.. train, "--crop", "100000"], "--crop"),
            ("rois-too-few", [.. trainDet, "--rois-per-image", "2"], "--rois-per-image"),
            ("clip-grad-nan", [.. trainDet, "--clip-grad", "nan"], "--clip-grad"),
            ("score-above-one", ["detect", "--model", "maskrcnn-r50-fpn", "--weights", "absent.pth", "--out", "out", "--score", "2", image], "--score"),
            ("export-subset-too-many", ["analyze", "absent-run", "--out", "out", "--export-subset", "1000"], "--export-subset"),
            ("stats-out-is-a-folder", ["stats", "--data", "absent", "--out", "existing-folder"], "--out"),
            ("json-is-a-folder", ["coco-eval", "--gt", "gt.json", "--dt", "dt.json", "--json", "existing-folder"], "--json"),
            ("run-out-is-a-file", [.. train[..^1], "existing-file"], "--out"),
        };
        foreach (var (name, arguments, option) in cases)
        {
            string directory = corpus.CaseDirectory("cli", name);
            Directory.CreateDirectory(Path.Combine(directory, "existing-folder"));
            FuzzCorpus.WriteFile(directory, "existing-file", [1]);
            yield return new FuzzCase("cli", name, directory, arguments, option);
        }

        // One class folder: training could only report a meaningless 100%, so it is refused before a run directory exists.
        string oneClass = corpus.CaseDirectory("cli", "one-class-dataset");
        foreach (string split in new[] { "train", "val" })
        {
            string folder = Directory.CreateDirectory(Path.Combine(oneClass, "data", split, "ants")).FullName;
            File.Copy(image, Path.Combine(folder, "a.jpg"));
        }
        yield return new FuzzCase("cli", "one-class-dataset", oneClass, [.. train, "--epochs", "1"], Path.Combine("data", "train"));
    }
}

using System.Text;

namespace DctNet.Fuzz;

/// <summary>
/// Issue 11: input files other than images and checkpoints' contents that are not regular files or are far too large:
/// a FIFO (whose open blocks until a writer comes), /dev/zero (whose read never ends), a folder, and a sparse .npy
/// declaring 8 GiB. Each is refused at once with one line naming it, before any model is loaded, so none of these
/// commands needs real weights (absent.safetensors is never opened).
/// </summary>
internal static class InputFileCases
{
    private const string Class = "inputs";

    public static IEnumerable<FuzzCase> Write(FuzzCorpus corpus)
    {
        string image = corpus.SharedImage;
        string[] predictTensor = ["predict", "--model", "resnet18-dct-s2", "--weights", "absent.safetensors", "--input-tensor", "input.npy"];

        yield return Case(corpus, "fifo-weights", "model.pth", HostileFiles.MakeFifo, ["predict", "--model", "resnet18", "--weights", "model.pth", image]);
        yield return Case(corpus, "fifo-input-tensor", "input.npy", HostileFiles.MakeFifo, predictTensor);
        yield return Case(corpus, "folder-input-tensor", "input.npy", path => Directory.CreateDirectory(path), predictTensor);
        yield return Case(corpus, "sparse-8-gib-input-tensor", "input.npy", SparseNpy, predictTensor);
        var (annotations, results) = ValidCocoFiles(corpus);
        yield return Case(corpus, "fifo-coco-annotations", "gt.json", HostileFiles.MakeFifo, ["coco-eval", "--gt", "gt.json", "--dt", results]);
        yield return Case(corpus, "fifo-coco-results", "dt.json", HostileFiles.MakeFifo, ["coco-eval", "--gt", annotations, "--dt", "dt.json"]);
        yield return Case(corpus, "fifo-labels", "labels.txt", HostileFiles.MakeFifo,
            ["predict", "--model", "resnet18", "--weights", "absent.safetensors", "--labels", "labels.txt", image]);
        yield return Case(corpus, "fifo-stats", "stats.json", HostileFiles.MakeFifo, ["transform", image, "--out", "out.npy", "--stats", "stats.json"]);
        yield return Case(corpus, "fifo-channels", "subset.json", HostileFiles.MakeFifo, ["transform", image, "--out", "out.npy", "--channels", "subset.json"]);
        yield return Case(corpus, "dev-zero-labels", "/dev/zero", _ => { },
            ["predict", "--model", "resnet18", "--weights", "absent.safetensors", "--labels", "/dev/zero", image]);
        yield return Case(corpus, "dev-zero-stats", "/dev/zero", _ => { }, ["transform", image, "--out", "out.npy", "--stats", "/dev/zero"]);
    }

    /// <summary>A case whose hostile entry is <paramref name="fileName"/> in its folder, made by <paramref name="make"/>.</summary>
    private static FuzzCase Case(FuzzCorpus corpus, string name, string fileName, Action<string> make, string[] arguments)
    {
        string directory = corpus.CaseDirectory(Class, name);
        make(Path.Combine(directory, fileName));
        return new FuzzCase(Class, name, directory, arguments, fileName);
    }

    /// <summary>A valid annotation file and results file in the shared folder, so that the FIFO is each case's only problem.</summary>
    private static (string Annotations, string Results) ValidCocoFiles(FuzzCorpus corpus)
    {
        string annotations = Path.Combine(corpus.Shared, "inputs-coco-gt.json"), results = Path.Combine(corpus.Shared, "inputs-coco-dt.json");
        File.WriteAllText(annotations, """
            {"images": [{"id": 1, "width": 640, "height": 480, "file_name": "a.jpg"}], "categories": [{"id": 1, "name": "thing"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "area": 2500, "iscrowd": 0}]}
            """);
        File.WriteAllText(results, """[{"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9}]""");
        return (annotations, results);
    }

    /// <summary>
    /// A float32 .npy of shape (1, 3, 26754, 26754): 8 GiB of data, all of it a hole, so the file costs no disk. Its
    /// length matches its header, so only a bound on what is allocated refuses it.
    /// </summary>
    private static void SparseNpy(string path)
    {
        const long Side = 26754;
        string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 26754, 26754), }".PadRight(128 - 10 - 1) + "\n";
        using var file = File.Create(path);
        file.Write([0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. Encoding.ASCII.GetBytes(header)]);
        file.SetLength(128 + 3 * Side * Side * 4);
    }
}

using System.CommandLine;
using System.Text.Json;
using DctNet.Detection.Coco;
using DctNet.Frequency.IO;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet coco-eval</c>: pycocotools' COCOeval summary of a results file against an annotation file.</summary>
internal static class CocoEvalCommand
{
    public static Command Create(CliContext context)
    {
        var groundTruth = new Option<string>("--gt")
        {
            Description = "The COCO annotation file (instances_*.json): images, categories and annotations.",
            HelpName = "instances.json",
            Required = true,
        };
        var results = new Option<string>("--dt")
        {
            Description = "The COCO results file: a list of {\"image_id\", \"category_id\", \"bbox\": [x, y, w, h] and/or \"segmentation\": RLE, \"score\"}, "
                + "as 'dctnet detect' and the COCO evaluation server use.",
            HelpName = "results.json",
            Required = true,
        };
        var iouType = new Option<string>("--iou-type")
        {
            Description = "What is compared: boxes (bbox) or masks (segm).",
            DefaultValueFactory = _ => "bbox",
        }.AcceptOnlyFromAmong("bbox", "segm");
        var json = new Option<string>("--json")
        {
            Description = "Also write the 12 numbers as JSON: {\"AP\", \"AP50\", \"AP75\", \"APs\", \"APm\", \"APl\", \"AR1\", \"AR10\", \"AR100\", \"ARs\", \"ARm\", \"ARl\", "
                + "\"iou_type\", \"gt\", \"dt\"} (-1 where there is nothing to evaluate, as pycocotools).",
            HelpName = "OUT.json",
        }.OutputFile();
        var command = new Command("coco-eval", """
            Evaluates COCO results against COCO annotations as pycocotools' COCOeval does with its default parameters
            (IoU 0.50:0.95, 101 recall points, 1/10/100 detections, small/medium/large areas), and prints its
            12-line summary, character for character.

            Examples:
              dctnet coco-eval --gt annotations/instances_val2017.json --dt out/detections.json
              dctnet coco-eval --gt annotations/instances_val2017.json --dt out/detections.json --iou-type segm --json segm.json
            """)
        {
            groundTruth, results, iouType, json
        };
        command.SetAction(parse =>
        {
            string groundTruthPath = parse.GetRequiredValue(groundTruth);
            string resultsPath = parse.GetRequiredValue(results);
            var type = parse.GetValue(iouType) == "segm" ? CocoIouType.Segm : CocoIouType.Bbox;
            // A CocoFormatException names the file and its problem: one line and exit code 1 (DctNetCli).
            var dataset = CocoDataset.Load(groundTruthPath);
            var detections = CocoResults.Read(resultsPath);
            var evaluation = Evaluate(dataset, detections, type, resultsPath);
            foreach (string line in evaluation.SummaryLines())
                context.Out.WriteLine(line);
            if (parse.GetValue(json) is { } jsonPath)
                WriteJson(jsonPath, evaluation, groundTruthPath, resultsPath);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Results that do not fit the annotations (unknown image or category, boxes mixed with masks) are the results file's problem.</summary>
    private static CocoEvaluation Evaluate(CocoDataset dataset, IReadOnlyList<CocoDetection> detections, CocoIouType type, string resultsPath)
    {
        try
        {
            return CocoEvaluator.Evaluate(dataset, detections, type);
        }
        catch (ArgumentException e)
        {
            throw new CocoFormatException(resultsPath, UsageException.WithoutParameterName(e), e);
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Written atomically, so that a script never reads half a result.</summary>
    private static void WriteJson(string path, CocoEvaluation evaluation, string groundTruthPath, string resultsPath)
    {
        var document = new Dictionary<string, object>();
        for (int i = 0; i < CocoEvaluation.StatNames.Count; i++)
            document[CocoEvaluation.StatNames[i]] = evaluation.Stats[i];
        document["iou_type"] = evaluation.IouType == CocoIouType.Segm ? "segm" : "bbox";
        document["gt"] = groundTruthPath;
        document["dt"] = resultsPath;
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(document, Indented) + "\n");
    }
}

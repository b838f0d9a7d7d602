using System.Text.RegularExpressions;

namespace DctNet.Cli.Tests.Commands;

public class BenchTests
{
    [Fact]
    public void Bench_transform_prints_the_single_and_multi_thread_lines_and_cleans_up()
    {
        string[] ScratchFolders() => Directory.GetDirectories(Path.GetTempPath(), "dctnet-bench-*");
        var before = ScratchFolders();

        var result = CliHarness.Run("bench", "transform", "--data", CliHarness.Images, "--limit", "4", "--threads", "2", "--warmup", "1", "--resize", "64", "--crop", "48");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(new Regex(@"^single-thread: \d+\.\d images/s \(\d+\.\d\d ms/image\)$", RegexOptions.Multiline), result.Out);
        Assert.Matches(new Regex(@"^2 threads: \d+\.\d images/s$", RegexOptions.Multiline), result.Out);
        Assert.Contains("4 images from", result.Out);
        Assert.Equal(before, ScratchFolders());
    }

    [Fact]
    public void Bench_detect_prints_seconds_per_image_and_the_detections_it_timed()
    {
        var result = CliHarness.Run("bench", "detect", "--model", "fasterrcnn-r50-fpn", "--runs", "1", "--height", "96", "--width", "128");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("fasterrcnn-r50-fpn: 96 x 128 image, 2 threads, cpu, deterministic untrained weights", result.Out, StringComparison.Ordinal);
        // The deterministic weights detect up to the 100 a pass keeps: the heads run as with trained weights.
        Assert.Matches(new Regex(@"^\d+\.\d{3} s/image \(([1-9]\d*) detections\)$", RegexOptions.Multiline), result.Out);
    }

    [Fact]
    public void Bench_detect_refuses_an_unknown_model_with_exit_2()
    {
        var result = CliHarness.Run("bench", "detect", "--model", "yolo");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --model: Unknown detection model 'yolo'. Known detection models: maskrcnn-r50-fpn, fasterrcnn-r50-fpn, maskrcnn-r50-fpn-dct, fasterrcnn-r50-fpn-dct.", result.ErrorLines.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_model_on_onnxruntime_names_the_engine_and_prints_images_per_second()
    {
        var model = CliHarness.Run("bench", "model", "--model", "resnet18-dct-s2", "--channels", "6", "--classes", "2", "--batch-size", "2", "--batches", "1", "--engine", "onnxruntime");

        Assert.True(model.ExitCode == 0, model.ToString());
        Assert.StartsWith("resnet18-dct-s2 6x56x56: batch 2, 2 threads, cpu, ONNX Runtime ", model.Out, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^\d+\.\d\d images/s$", RegexOptions.Multiline), model.Out);
    }

    [Theory]
    [InlineData("garbage", "ONNX Runtime cannot load it")]
    [InlineData("folder", "not a regular file")]
    [InlineData("missing", "")]
    public void Bench_onnx_refuses_what_is_not_an_onnx_file_in_one_line_naming_it(string kind, string reason)
    {
        using var harness = new CliHarness();
        string path = harness.PathIn("model.onnx");
        if (kind == "garbage")
            File.WriteAllBytes(path, [0x08, 0x07, 0x12, 0xff, 0xff, 0xff, 0x0f, 0x01]);
        else if (kind == "folder")
            Directory.CreateDirectory(path);

        var result = CliHarness.Run("bench", "onnx", path, "--batches", "1");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        string line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: {path}: ", line, StringComparison.Ordinal);
        Assert.Contains(reason, line);
    }

    /// <summary>A valid graph whose input declares a trillion floats: refused before any of them is allocated.</summary>
    [Fact]
    public void Bench_onnx_refuses_an_input_larger_than_it_makes_before_allocating_it()
    {
        using var harness = new CliHarness();
        string path = harness.PathIn("huge.onnx");
        var graph = new global::Onnx.GraphProto { Name = "identity" };
        graph.Node.Add(new global::Onnx.NodeProto { OpType = "Identity", Input = { "x" }, Output = { "y" } });
        foreach (var (list, name) in new[] { (graph.Input, "x"), (graph.Output, "y") })
        {
            var shape = new global::Onnx.TensorShapeProto();
            shape.Dim.Add(new global::Onnx.TensorShapeProto.Types.Dimension { DimParam = "batch" });
            for (int i = 0; i < 3; i++)
                shape.Dim.Add(new global::Onnx.TensorShapeProto.Types.Dimension { DimValue = 10_000 });
            list.Add(new global::Onnx.ValueInfoProto { Name = name, Type = new global::Onnx.TypeProto { TensorType = new global::Onnx.TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
        }
        var model = new global::Onnx.ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new global::Onnx.OperatorSetIdProto { Version = 17 });
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));

        var result = CliHarness.Run("bench", "onnx", path, "--batches", "1");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.StartsWith($"error: {path}: input 'x' of [-1, 10000, 10000, 10000] is more than", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}

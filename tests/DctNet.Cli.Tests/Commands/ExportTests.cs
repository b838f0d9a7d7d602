using DctNet.Frequency.Channels;
using DctNet.Frequency.IO;
using DctNet.Onnx;
using Onnx;

namespace DctNet.Cli.Tests.Commands;

public sealed class ExportTests(TrainedWeights weights) : IClassFixture<TrainedWeights>
{
    [Fact]
    public void The_exported_file_gives_the_models_logits_on_the_input_dctnet_transform_writes()
    {
        using var harness = new CliHarness();
        string onnx = harness.PathIn("out", "dct6.onnx"), input = harness.PathIn("input.npy");

        var export = CliHarness.Run("export", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--out", onnx);
        var transform = CliHarness.Run("transform", CliHarness.PathOfImage("jpeg_420.jpg"), "--channels", "6", "--out", input);

        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.True(transform.ExitCode == 0, transform.ToString());
        Assert.StartsWith($"{weights.Checkpoint} -> {onnx} (ONNX opset 17, ", export.Out);
        Assert.EndsWith("resnet18-dct-s2, input N x 6 x 56 x 56 (channels 6), 2 classes, BatchNorms folded\n", export.Out.ReplaceLineEndings("\n"));
        using var session = OnnxSession.Load(onnx);
        var contract = session.Contract;
        Assert.Equal((TrainedWeights.Model, 2, InputPipeline.Dct, 512, 448, "6"), (contract.Model, contract.Classes, contract.Pipeline, contract.Geometry.Resize, contract.Geometry.Crop, contract.Channels!.Name));
        Assert.Equal(ChannelSubset.BuiltIn(6).Channels, contract.Channels.Channels);
        Assert.Equal(ChannelSubset.BuiltIn(6).Channels.Select(c => ChannelStatistics.ImageNet.Mean[c]), contract.Mean);
        Assert.Equal(ChannelSubset.BuiltIn(6).Channels.Select(c => ChannelStatistics.ImageNet.Std[c]), contract.Std);

        float[] values = Npy.ReadFile(input).AsFloat32();
        float[] expected = weights.Logits(values, 1, 6, 56, 56);
        float[] actual = session.Run(values, 1);
        float scale = expected.Max(Math.Abs);
        Assert.All(actual.Zip(expected), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4f * scale, $"{pair.First} vs {pair.Second}"));
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 20)]
    public void No_fold_keeps_a_BatchNormalization_node_per_BatchNorm(bool keep, int batchNormalizations)
    {
        using var harness = new CliHarness();
        string onnx = harness.PathIn("dct6.onnx");

        string[] arguments = ["export", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--out", onnx];
        var result = CliHarness.Run(keep ? [.. arguments, "--no-fold"] : arguments);

        Assert.True(result.ExitCode == 0, result.ToString());
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx)).Graph;
        Assert.Equal(batchNormalizations, graph.Node.Count(node => node.OpType == "BatchNormalization"));
        Assert.Equal(20, graph.Node.Count(node => node.OpType == "Conv"));
    }

    [Fact]
    public void Predict_gives_the_same_logits_on_both_engines()
    {
        using var harness = new CliHarness();
        string[] images = [CliHarness.PathOfImage("jpeg_420.jpg"), CliHarness.PathOfImage("png_rgb.png")];
        float[] Logits(string engine)
        {
            string path = harness.PathIn($"{engine}.npy");
            var result = CliHarness.Run(["predict", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--engine", engine, "--logits", path, .. images]);
            Assert.True(result.ExitCode == 0, result.ToString());
            return Npy.ReadFile(path).AsFloat32();
        }

        float[] torch = Logits("torch"), onnxRuntime = Logits("onnxruntime");

        float scale = torch.Max(Math.Abs);
        Assert.Equal(torch.Length, onnxRuntime.Length);
        Assert.All(torch.Zip(onnxRuntime), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= 1e-4f * scale, $"{pair.First} vs {pair.Second}"));
    }

    /// <summary>The deployment check: the same weights evaluated over the real hymenoptera images on both engines.</summary>
    [HymenopteraFact]
    public void Eval_over_real_images_gives_the_same_top1_and_count_on_both_engines()
    {
        using var harness = new CliHarness();
        (double Top1, int Count) Evaluate(string engine)
        {
            string json = harness.PathIn($"{engine}.json");
            var result = CliHarness.Run("eval", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--data", HymenopteraFactAttribute.Val,
                "--engine", engine, "--json", json);
            Assert.True(result.ExitCode == 0, result.ToString());
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
            Assert.Equal(engine, document.RootElement.GetProperty("engine").GetString());
            return (document.RootElement.GetProperty("top1").GetDouble(), document.RootElement.GetProperty("count").GetInt32());
        }

        var torch = Evaluate("torch");
        var onnxRuntime = Evaluate("onnxruntime");

        Assert.Equal(153, torch.Count);
        Assert.Equal(torch, onnxRuntime);
    }

    [Fact]
    public void An_unknown_engine_is_a_one_line_usage_error()
    {
        var result = CliHarness.Run("predict", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--engine", "tensorrt", CliHarness.PathOfImage("jpeg_420.jpg"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--engine: 'tensorrt' is not an engine; use torch or onnxruntime.", Assert.Single(result.ErrorLines));
    }
}

using System.Diagnostics;
using DctNet.Checkpoints;
using DctNet.Export;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Tests.Inference;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DctNet.Tests.Export;

/// <summary>
/// The independent check of the files themselves: every registry model exported (DCT models at 24 channels, and the
/// other channel rules, a subset file and a gated model; folded and unfolded) passes Debian's python3-onnx checker,
/// full check with strict shape inference, and the contract checks of tools/onnx/check_model.py.
/// </summary>
public sealed class OnnxCheckerTests(ITestOutputHelper output)
{
    [OnnxCheckerFact]
    public void Every_exported_model_passes_the_onnx_checker()
    {
        string directory = Directory.CreateTempSubdirectory("dctnet-onnx-checker-").FullName;
        try
        {
            var files = new List<string>();
            void Export(string name, ChannelSubset? channels, bool gate = false, bool fold = true, DctPipeline? pipeline = null)
            {
                using var scope = NewDisposeScope();
                var definition = ModelRegistry.Get(name);
                using var module = definition.Create(channels, classes: 10, gate);
                string weights = Path.Combine(directory, "weights.safetensors");
                if (pipeline is { } recorded)
                {
                    new DctNetCheckpoint(new CheckpointMetadata { Model = name, Classes = 10, Channels = channels, Pipeline = recorded },
                        ModuleState.Capture(module)).Save(weights);
                }
                else
                {
                    TestModels.SaveCheckpoint(module, weights, name, channels, classes: 10);
                }
                using var model = InferenceModel.Load(new InferenceRequest(definition, weights));
                string path = Path.Combine(directory, $"{name}-{channels?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "rgb"}{(gate ? "-gate" : "")}"
                    + $"{(fold ? "" : "-unfolded")}{(pipeline is null ? "" : "-jpeg")}.onnx");
                OnnxExport.Save(model, path, fold);
                files.Add(path);
            }

            foreach (var definition in ModelRegistry.Models)
                Export(definition.Name, definition.TakesDct ? ChannelSubset.BuiltIn(ModelRegistry.DefaultChannelCount) : null);
            Export("resnet50-dct", ChannelSubset.BuiltIn(24), fold: false);
            Export("resnet18-dct", ChannelSubset.BuiltIn(6));
            Export("resnet50-dct", ChannelSubset.BuiltIn(64));
            Export("mobilenetv2-dct", ChannelSubset.BuiltIn(32));
            Export("resnet50-dct-s2", ChannelSubset.All);
            Export("resnet50-dct-s2", ChannelSubset.All, gate: true);
            Export("mobilenetv2-dct", ChannelSubset.All, gate: true, fold: false);
            Export("resnet50-dct", ChannelSubset.FromLists("subset.json", [0, 1, 8, 9, 16, 2], [0, 1], [0, 8]));
            Export("resnet18-dct-s2", ChannelSubset.BuiltIn(24), pipeline: DctPipeline.Jpeg);

            var (code, text) = OnnxCheckerFactAttribute.Check(files);

            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.Equal(files.Count, text.Split('\n').Count(line => line.StartsWith("ok ", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>Needs Debian's python3-onnx (<c>apt-get install python3-onnx</c>, which .ci/run installs); skipped with a clear message where it is absent.</summary>
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    private const string Python = "/usr/bin/python3";

    private static readonly string Script = Path.Combine(TestPaths.RepositoryRoot, "tools", "onnx", "check_model.py");

    public OnnxCheckerFactAttribute()
    {
        if (!File.Exists(Python) || Run("-c", "import onnx").ExitCode != 0)
            Skip = $"Debian's python3-onnx is not installed ({Python} cannot import onnx); apt-get install python3-onnx to run the ONNX checker.";
    }

    /// <summary>tools/onnx/check_model.py on the files: its exit code and its output.</summary>
    public static (int ExitCode, string Output) Check(IEnumerable<string> files) => Run([Script, .. files]);

    private static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, text + error.Result);
    }
}

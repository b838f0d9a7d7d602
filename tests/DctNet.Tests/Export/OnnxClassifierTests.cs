using DctNet.Checkpoints;
using DctNet.Export;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Imaging;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Onnx;
using static TorchSharp.torch;

namespace DctNet.Tests.Export;

/// <summary>
/// The deployment path - an exported file, the preprocessing its metadata names, ONNX Runtime - classifies an image as
/// <c>dctnet predict</c> does on libtorch: the same input floats and the same probabilities, for a DCT and an RGB model.
/// </summary>
public sealed class OnnxClassifierTests
{
    [Theory]
    [InlineData("resnet18-dct-s2", 24, true)]
    [InlineData("resnet18-dct-s2", 6, false)]
    [InlineData("mobilenetv2", null, true)]
    [InlineData("resnet18", null, false)]
    [InlineData("resnet18-dct-s2", 24, true, true)]
    public void An_exported_model_classifies_image_bytes_as_predict_does(string name, int? channels, bool normalized, bool jpegPipeline = false)
    {
        using var scope = NewDisposeScope();
        string directory = Directory.CreateTempSubdirectory("dctnet-onnx-classifier-").FullName;
        try
        {
            manual_seed(8);
            var subset = channels is { } count ? ChannelSubset.BuiltIn(count) : null;
            using var trained = ModelRegistry.Create(name, subset, classes: 7);
            trained.eval();
            string weights = Path.Combine(directory, "model.safetensors"), onnx = Path.Combine(directory, "model.onnx");
            // Normalized: the release's DCT statistics, or RGB statistics other than ImageNet's; else raw input.
            var normalization = !normalized ? null : subset is null ? new InputNormalization([0.5, 0.4, 0.3], [0.2, 0.25, 0.3])
                : InputNormalization.From(jpegPipeline ? ChannelStatistics.ImageNetJpeg : ChannelStatistics.ImageNet);
            var pipeline = jpegPipeline ? DctPipeline.Jpeg : DctPipeline.Exact;
            new DctNetCheckpoint(new CheckpointMetadata { Model = name, Classes = 7, Channels = subset, Normalization = normalization, Pipeline = pipeline },
                ModuleState.Capture(trained)).Save(weights);
            using var model = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(name), weights) { FoldBatchNorm = true });
            OnnxExport.Save(model, onnx);
            string image = Path.Combine(TestPaths.Fixtures, "images", "jpeg_420.jpg");

            using var classifier = OnnxClassifier.Load(onnx, threads: 1);
            Assert.Equal(jpegPipeline ? InputPipeline.JpegDct : subset is null ? InputPipeline.Rgb : InputPipeline.Dct, classifier.Contract.Pipeline);
            float[] input = classifier.Preprocess(File.ReadAllBytes(image), image);
            var scores = classifier.Classify(File.ReadAllBytes(image), top: 7, image);

            var expectedInput = new float[model.Pipeline.Length];
            model.Pipeline.Transform(image, expectedInput);
            Assert.Equal(expectedInput, input);
            using var logits = model.Logits(tensor(expectedInput, [1, .. model.Pipeline.Shape.Select(d => (long)d)]));
            var probabilities = nn.functional.softmax(logits, 1).data<float>().ToArray();
            Assert.Equal(7, scores.Length);
            Assert.Equal(Enumerable.Range(0, 7).OrderByDescending(c => probabilities[c]).First(), scores[0].Class);
            foreach (var score in scores)
                Assert.Equal(probabilities[score.Class], score.Probability, 1e-4f);
            if (jpegPipeline)
            {
                string png = Path.Combine(TestPaths.Fixtures, "images", "png_rgb.png");
                var refused = Assert.Throws<ImageDecodeException>(() => classifier.Preprocess(File.ReadAllBytes(png), png));
                Assert.Equal($"{png}: a PNG image, not a JPEG; the JPEG-domain pipeline reads coefficients from JPEG files only", refused.Message);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_file_whose_graph_is_not_what_its_metadata_says_is_refused_naming_it()
    {
        using var scope = NewDisposeScope();
        using var model = ModelRegistry.Create("resnet18-dct-s2", ChannelSubset.BuiltIn(6), classes: 3);
        model.eval();
        var truthful = OnnxExport.ContractOf("resnet18-dct-s2", ModelRegistry.Get("resnet18-dct-s2").ResolveInput(new InputRequest(ChannelSubset.BuiltIn(6))), classes: 3, gate: false);

        foreach (var lie in new[] { truthful with { Classes = 1000 }, truthful with { Channels = ChannelSubset.BuiltIn(24), Mean = null, Std = null } })
        {
            var proto = OnnxExport.Build(model, truthful);
            proto.MetadataProps.Clear();
            proto.MetadataProps.Add(lie.ToMetadata().Select(entry => new global::Onnx.StringStringEntryProto { Key = entry.Key, Value = entry.Value }));
            byte[] bytes = Google.Protobuf.MessageExtensions.ToByteArray(proto);
            var error = Assert.Throws<OnnxFileException>(() => OnnxSession.FromBytes(bytes, "lying.onnx"));
            Assert.StartsWith("lying.onnx: the graph ", error.Message);
        }
    }

    [Fact]
    public void A_file_without_dctnet_metadata_is_refused_naming_it()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dctnet-not-exported-{Guid.NewGuid():N}.onnx");
        try
        {
            var proto = new global::Onnx.ModelProto { IrVersion = 8, Graph = new global::Onnx.GraphProto { Name = "empty" } };
            proto.OpsetImport.Add(new global::Onnx.OperatorSetIdProto { Version = 17 });
            File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(proto));

            var error = Assert.Throws<OnnxFileException>(() => OnnxClassifier.Load(path));

            Assert.StartsWith(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

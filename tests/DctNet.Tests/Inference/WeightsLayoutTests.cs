using DctNet.Checkpoints;
using DctNet.Inference;

namespace DctNet.Tests.Inference;

/// <summary>The classifier and the input gate found in the parity fixtures, checkpoints made by the release's PyTorch modules.</summary>
public sealed class WeightsLayoutTests
{
    private static StateDict Fixture(string name)
        => PyTorchCheckpoint.ReadStateDict(Path.Combine(TestPaths.Fixtures, "parity", name));

    [Theory]
    [InlineData("resnet-dct-24.zip.pth.tar", "fc.weight", new long[] { 10, 64 })]
    [InlineData("resnet-basic-dct-24.zip.pth.tar", "fc.weight", new long[] { 10, 16 })]
    [InlineData("mobilenetv2-dct-32.legacy.pth.tar", "classifier.weight", new long[] { 10, 64 })]
    [InlineData("mobilenetv2-rgb.pth", "classifier.1.weight", new long[] { 10, 64 })]
    [InlineData("resnet-rgb.pth", "fc.weight", new long[] { 10, 64 })]
    public void The_classifier_is_found_in_every_model_family(string file, string key, long[] shape)
    {
        var classifier = WeightsLayout.Classifier(Fixture(file));

        Assert.NotNull(classifier);
        Assert.Equal(key, classifier.Value.Key);
        Assert.Equal(shape, classifier.Value.Weight.Shape);
    }

    [Theory]
    [InlineData("resnet-dct-192-gate.zip.pth.tar", true)]
    [InlineData("resnet-dct-192-gate.legacy.pth.tar", true)]
    [InlineData("resnet-dct-192.zip.pth.tar", false)]
    [InlineData("mobilenetv2-dct-24.zip.pth.tar", false)]
    public void Input_gate_weights_are_recognized(string file, bool gated)
    {
        Assert.Equal(gated, WeightsLayout.HasInputGate(Fixture(file)));
    }

    [Fact]
    public void Weights_without_a_known_classifier_have_none()
    {
        var weights = new StateDict { { "fc.bias", new TensorData(TensorElementType.Float32, [2], new byte[8]) } };

        Assert.Null(WeightsLayout.Classifier(weights));
    }
}

using DctNet.Inference;
using static TorchSharp.torch;

namespace DctNet.Tests.Inference;

public sealed class PredictionsTests
{
    [Fact]
    public void Top_classes_are_the_softmax_probabilities_in_decreasing_order()
    {
        using var logits = tensor(new float[] { 1, 3, 2, 0, 0, MathF.Log(2) }, [2, 3]);

        var top = Predictions.TopClasses(logits, 2);

        float sum = MathF.Exp(1) + MathF.Exp(3) + MathF.Exp(2);
        Assert.Equal([1, 2], top[0].Select(s => s.Index));
        Assert.Equal(MathF.Exp(3) / sum, top[0][0].Probability, 6);
        Assert.Equal(MathF.Exp(2) / sum, top[0][1].Probability, 6);
        Assert.Equal(2, top[1][0].Index);
        Assert.Equal(0.5f, top[1][0].Probability, 6);
        Assert.Equal(0.25f, top[1][1].Probability, 6);
    }

    [Fact]
    public void Asking_for_more_classes_than_there_are_gives_all_of_them()
    {
        using var logits = tensor(new float[] { 0, 1 }, [1, 2]);

        var top = Predictions.TopClasses(logits, 5);

        Assert.Equal([1, 0], top[0].Select(s => s.Index));
        Assert.Equal(1f, top[0].Sum(s => s.Probability), 6);
    }

    [Fact]
    public void Correct_counts_take_the_label_among_the_top_k()
    {
        // Rows rank the classes: (2, 1, 0), (0, 1, 2), (1, 2, 0), (2, 0, 1).
        using var logits = tensor(new float[] { 0, 1, 2, 5, 4, 3, 1, 9, 5, 8, 0, 9 }, [4, 3]);
        using var labels = tensor(new long[] { 2, 1, 0, 2 });

        Assert.Equal((2, 3), Predictions.CountCorrect(logits, labels, 2));
        Assert.Equal((2, 4), Predictions.CountCorrect(logits, labels, 5));
    }
}

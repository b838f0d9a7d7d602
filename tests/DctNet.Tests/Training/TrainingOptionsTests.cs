using DctNet.Training;

namespace DctNet.Tests.Training;

/// <summary>Options that no run can use are refused by name; NaN, which every comparison lets through, included.</summary>
public class TrainingOptionsTests
{
    private static TrainingOptions Valid() => new() { Model = "resnet18-dct-s2", Data = "" };

    [Theory]
    [InlineData("momentum", double.NaN)]
    [InlineData("weight decay", double.NaN)]
    [InlineData("weight decay", double.PositiveInfinity)]
    [InlineData("label smoothing", double.NaN)]
    [InlineData("lambda", double.NaN)]
    [InlineData("learning rate", double.NaN)]
    public void Not_a_number_is_refused_by_name(string name, double value)
    {
        var options = name switch
        {
            "momentum" => Valid() with { Momentum = value },
            "weight decay" => Valid() with { WeightDecay = value },
            "label smoothing" => Valid() with { LabelSmoothing = value },
            "lambda" => Valid() with { GateLambda = value, Gate = true },
            _ => Valid() with { LearningRate = value },
        };
        Assert.Contains(name, Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }
}

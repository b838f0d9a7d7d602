using DctNet.Detection.Training;

namespace DctNet.Detection.Tests.Training;

/// <summary>Options that no run can use are refused by name; NaN, which every comparison lets through, included.</summary>
public class DetectionTrainingOptionsTests
{
    private static DetectionTrainingOptions Valid() => new() { Model = "maskrcnn-r50-fpn", Data = "", Annotations = "", ValData = "", ValAnnotations = "" };

    [Theory]
    [InlineData("momentum", double.NaN)]
    [InlineData("weight decay", double.NaN)]
    [InlineData("clipping norm", double.NaN)]
    [InlineData("clipping norm", double.PositiveInfinity)]
    [InlineData("warm-up ratio", double.NaN)]
    public void Not_a_number_is_refused_by_name(string name, double value)
    {
        var options = name switch
        {
            "momentum" => Valid() with { Momentum = value },
            "weight decay" => Valid() with { WeightDecay = value },
            "clipping norm" => Valid() with { ClipGradientNorm = value },
            _ => Valid() with { WarmupRatio = value },
        };
        Assert.Contains(name, Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }
}

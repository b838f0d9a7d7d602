using System.Globalization;
using System.Text.Json.Serialization;

namespace DctNet.Platform;

/// <summary>The native operations DctNet's models run whose kernels depend on the host.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<KernelOperation>))]
public enum KernelOperation
{
    Convolution,
    TransposedConvolution,
    Linear,
}

/// <summary>
/// One configuration of a native kernel as a model runs it: the operation and its hyper-parameters, the input shape,
/// the memory layout, whether a bias is added, and whether the backward pass runs too (training). Two layers with the
/// same case run the same oneDNN primitive.
/// </summary>
public sealed record KernelCase(
    KernelOperation Operation,
    long[] InputShape,
    long Outputs,
    long[] Kernel,
    long[] Stride,
    long[] Padding,
    long[] Dilation,
    long[] OutputPadding,
    long Groups,
    bool Bias,
    bool ChannelsLast,
    bool Backward)
{
    /// <summary>The shape of the weight: out x in/groups x kh x kw (transposed: in x out/groups x kh x kw; linear: out x in).</summary>
    [JsonIgnore]
    public long[] WeightShape => Operation switch
    {
        KernelOperation.Convolution => [Outputs, InputShape[1] / Groups, Kernel[0], Kernel[1]],
        KernelOperation.TransposedConvolution => [InputShape[1], Outputs / Groups, Kernel[0], Kernel[1]],
        _ => [Outputs, InputShape[^1]],
    };

    /// <summary>
    /// One line that names the case completely (and is its identity): "conv 3x3/2 pad 1 24->64, 2x24x56x56,
    /// channels-last, bias, forward+backward".
    /// </summary>
    [JsonIgnore]
    public string Description
    {
        get
        {
            string shape = string.Join('x', InputShape);
            string passes = Backward ? "forward+backward" : "forward";
            string bias = Bias ? ", bias" : "";
            if (Operation == KernelOperation.Linear)
                return $"linear {InputShape[^1]}->{Outputs}, {shape}{bias}, {passes}";
            string name = Operation == KernelOperation.Convolution ? "conv" : "transposed conv";
            string groups = Groups == 1 ? "" : Groups == InputShape[1] && Groups == Outputs ? " depthwise" : $" groups {Groups}";
            string padding = Padding.All(p => p == 0) ? "" : $" pad {Pair(Padding)}";
            string dilation = Dilation.All(d => d == 1) ? "" : $" dilation {Pair(Dilation)}";
            string outputPadding = OutputPadding.All(p => p == 0) ? "" : $" output pad {Pair(OutputPadding)}";
            return $"{name} {Kernel[0]}x{Kernel[1]}/{Pair(Stride)}{padding}{dilation}{outputPadding}{groups} {InputShape[1]}->{Outputs}, {shape}, "
                + $"{(ChannelsLast ? "channels-last" : "NCHW")}{bias}, {passes}";
        }
    }

    /// <summary>"2" for a square pair, "2x1" otherwise.</summary>
    private static string Pair(long[] values)
        => values[0] == values[1] ? values[0].ToString(CultureInfo.InvariantCulture) : string.Join('x', values);
}

/// <summary>A case and the models that run it ("resnet50-dct (24) inference", ...).</summary>
public sealed record KernelUse(KernelCase Case, IReadOnlyList<string> UsedBy);

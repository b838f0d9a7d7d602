using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using DctNet.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Export;

/// <summary>
/// An ONNX graph being written from a module tree: each module adds the nodes that compute its evaluation-mode forward
/// (<see cref="IOnnxExportable"/> for DctNet's own modules, <see cref="Module"/> for TorchSharp's layers), its weights
/// become initializers named by their state_dict keys, and values are named after the node that makes them.
/// </summary>
/// <remarks>
/// Written by hand because nothing maps TorchSharp modules to ONNX: TorchSharp cannot export (its issue #1281) and
/// tracing libtorch from .NET is not exposed. The protobuf types are OnnxSharp's, generated from onnx.proto.
/// </remarks>
public sealed class OnnxGraph
{
    private readonly GraphProto graph = new();
    private readonly Dictionary<nn.Module, string> moduleNames = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, int> opCounts = [];
    private readonly HashSet<string> constants = [];

    /// <param name="root">The model; its submodules' names become the initializers' names.</param>
    /// <param name="foldBatchNorm">Merge each BatchNorm into the convolution before it (see <see cref="ConvNorm"/>).</param>
    public OnnxGraph(nn.Module root, bool foldBatchNorm)
    {
        foreach (var (name, module) in root.named_modules())
            moduleNames.TryAdd(module, name);
        FoldBatchNorm = foldBatchNorm;
    }

    /// <summary>Whether BatchNorms are merged into their convolutions, or written as BatchNormalization nodes.</summary>
    public bool FoldBatchNorm { get; }

    internal GraphProto Proto => graph;

    /// <summary>The nodes of <paramref name="module"/>'s forward applied to <paramref name="x"/>; returns the output's name.</summary>
    /// <exception cref="NotSupportedException">A layer with no ONNX mapping.</exception>
    public string Module(nn.Module module, string x) => module switch
    {
        IOnnxExportable exportable => exportable.ExportOnnx(this, x),
        Sequential sequential => Sequence([.. sequential.children()], x),
        Conv2d conv => Conv(conv, null, x),
        BatchNorm2d or FrozenBatchNorm2d => BatchNormalization(module, x),
        ReLU => Node("Relu", [x]),
        ReLU6 => Node("Clip", [x, Scalar(0f), Scalar(6f)]),
        Dropout => x, // the identity in evaluation mode
        AdaptiveAvgPool2d pool when pool.output_size.All(size => size == 1) => GlobalAveragePool(x),
        Linear linear => Gemm(linear, x),
        _ => throw new NotSupportedException($"ONNX export has no mapping for {module.GetType().Name} ({NameOf(module)})."),
    };

    /// <summary>
    /// A convolution and the norm after it: one Conv with the norm merged into its weights and bias when
    /// <see cref="FoldBatchNorm"/> (merged in float64, then rounded once), else Conv then BatchNormalization; the conv
    /// alone when <paramref name="alreadyMerged"/> (a model folded by <see cref="Models.BatchNormFolding"/>).
    /// </summary>
    public string ConvNorm(Conv2d conv, nn.Module norm, bool alreadyMerged, string x)
    {
        if (alreadyMerged)
            return Conv(conv, null, x);
        return FoldBatchNorm ? Conv(conv, norm, x) : BatchNormalization(norm, Conv(conv, null, x));
    }

    public string Relu(string x) => Node("Relu", [x]);

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string Mul(string a, string b) => Node("Mul", [a, b]);

    public string GlobalAveragePool(string x) => Node("GlobalAveragePool", [x]);

    /// <summary>N x C x 1 x 1 (or any N x ...) to N x rest.</summary>
    public string Flatten(string x) => Node("Flatten", [x], Int("axis", 1));

    public string MaxPool(string x, long kernel, long stride, long padding)
        => Node("MaxPool", [x], Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", padding, padding, padding, padding));

    /// <summary>Nearest-neighbour upsampling of <paramref name="x"/> to the shape of <paramref name="like"/>, as torch's interpolate(mode='nearest').</summary>
    public string ResizeNearestTo(string x, string like)
        => Node("Resize", [x, "", "", Node("Shape", [like])],
            Text("mode", "nearest"), Text("coordinate_transformation_mode", "asymmetric"), Text("nearest_mode", "floor"));

    /// <summary>Reshape to <paramref name="shape"/>, where 0 keeps that dimension of the input (the free batch).</summary>
    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Int64s(shape)]);

    /// <summary>The index of the largest value along <paramref name="axis"/>, dropped; ties go to the first, as torch's argmax.</summary>
    public string ArgMax(string x, long axis) => Node("ArgMax", [x], Int("axis", axis), Int("keepdims", 0));

    public string CastToFloat(string x) => Node("Cast", [x], Int("to", (long)TensorProto.Types.DataType.Float));

    /// <summary>
    /// A graph input that has a default value, an initializer of the same name: a caller may feed it, and otherwise
    /// the default is used. <paramref name="dims"/> are the declared shape (strings for free dimensions).
    /// </summary>
    public string InputWithDefault(string name, Tensor defaultValue, params object[] dims)
    {
        graph.Input.Add(ValueInfo(name, dims));
        graph.Initializer.Add(TensorProtoOf(name, defaultValue));
        return name;
    }

    /// <summary>Declares a float32 graph input; <paramref name="dims"/> are numbers, or strings for free dimensions.</summary>
    public void AddInput(string name, params object[] dims) => graph.Input.Add(ValueInfo(name, dims));

    /// <summary>Makes <paramref name="value"/> a graph output called <paramref name="name"/> (renaming the node that makes it).</summary>
    public void AddOutput(string value, string name, params object[] dims)
    {
        var producer = graph.Node.Single(node => node.Output.Contains(value));
        producer.Output[producer.Output.IndexOf(value)] = name;
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == value)
                    node.Input[i] = name;
            }
        }
        graph.Output.Add(ValueInfo(name, dims));
    }

    private string Sequence(IReadOnlyList<nn.Module> layers, string x)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is Conv2d conv && i + 1 < layers.Count && layers[i + 1] is BatchNorm2d or FrozenBatchNorm2d)
            {
                x = ConvNorm(conv, layers[i + 1], alreadyMerged: false, x);
                i++;
            }
            else
            {
                x = Module(layers[i], x);
            }
        }
        return x;
    }

    private string Conv(Conv2d conv, nn.Module? mergedNorm, string x)
    {
        if (conv.padding_type is not null || conv.padding_mode != TorchSharp.PaddingModes.Zeros || conv.transposed)
            throw new NotSupportedException($"ONNX export writes zero-padded convolutions with explicit padding only ({NameOf(conv)}).");
        string name = NameOf(conv);
        string weight, bias;
        if (mergedNorm is null)
        {
            weight = Initializer($"{name}.weight", conv.weight!);
            bias = conv.bias is null ? "" : Initializer($"{name}.bias", conv.bias);
        }
        else
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var norm = NormParameters(mergedNorm);
            var scale = norm.Weight.to(float64) / norm.RunningVar.to(float64).Plus(norm.Epsilon).sqrt();
            var shift = norm.Bias.to(float64) - norm.RunningMean.to(float64) * scale;
            if (conv.bias is { } existing)
                shift = shift.Plus(existing.to(float64) * scale);
            weight = Initializer($"{name}.weight", conv.weight!.to(float64) * scale.view(-1, 1, 1, 1));
            bias = Initializer($"{name}.bias", shift);
        }
        long[] padding = conv.padding!;
        string[] inputs = bias.Length == 0 ? [x, weight] : [x, weight, bias];
        return Node("Conv", inputs,
            Ints("kernel_shape", conv.kernel_size), Ints("strides", conv.stride), Ints("dilations", conv.dilation),
            Ints("pads", padding[0], padding[1], padding[0], padding[1]), Int("group", conv.groups));
    }

    private string BatchNormalization(nn.Module module, string x)
    {
        string name = NameOf(module);
        var norm = NormParameters(module);
        return Node("BatchNormalization",
            [x, Initializer($"{name}.weight", norm.Weight), Initializer($"{name}.bias", norm.Bias),
             Initializer($"{name}.running_mean", norm.RunningMean), Initializer($"{name}.running_var", norm.RunningVar)],
            new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = (float)norm.Epsilon });
    }

    /// <summary>An evaluation-mode norm's affine map: BatchNorm2d's, or the detection backbones' FrozenBatchNorm2d.</summary>
    private (Tensor Weight, Tensor Bias, Tensor RunningMean, Tensor RunningVar, double Epsilon) NormParameters(nn.Module norm) => norm switch
    {
        BatchNorm2d batchNorm => (batchNorm.weight!, batchNorm.bias!, batchNorm.running_mean!, batchNorm.running_var!, batchNorm.eps),
        FrozenBatchNorm2d frozen => (frozen.get_buffer("weight")!, frozen.get_buffer("bias")!, frozen.get_buffer("running_mean")!, frozen.get_buffer("running_var")!, FrozenBatchNorm2d.Epsilon),
        _ => throw new NotSupportedException($"ONNX export folds BatchNorm2d and FrozenBatchNorm2d, not {norm.GetType().Name} ({NameOf(norm)})."),
    };

    /// <summary>x W^T + b, as nn.Linear on N x features.</summary>
    private string Gemm(Linear linear, string x)
    {
        string name = NameOf(linear);
        string[] inputs = linear.bias is null
            ? [x, Initializer($"{name}.weight", linear.weight!)]
            : [x, Initializer($"{name}.weight", linear.weight!), Initializer($"{name}.bias", linear.bias)];
        return Node("Gemm", inputs, Int("transB", 1));
    }

    private string Node(string op, string[] inputs, params AttributeProto[] attributes)
    {
        int index = opCounts.GetValueOrDefault(op);
        opCounts[op] = index + 1;
        string output = $"{op}_{index}";
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return output;
    }

    private string Initializer(string name, Tensor values)
    {
        graph.Initializer.Add(TensorProtoOf(name, values));
        return name;
    }

    /// <summary>A float32 scalar, written once however often it is used.</summary>
    private string Scalar(float value)
    {
        string name = $"const.{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        if (constants.Add(name))
        {
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            proto.FloatData.Add(value);
            graph.Initializer.Add(proto);
        }
        return name;
    }

    private string Int64s(long[] values)
    {
        string name = $"shape.{string.Join('x', values)}";
        if (constants.Add(name))
        {
            var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            proto.Dims.Add(values.Length);
            proto.Int64Data.AddRange(values);
            graph.Initializer.Add(proto);
        }
        return name;
    }

    private string NameOf(nn.Module module) => moduleNames.TryGetValue(module, out var name) && name.Length > 0 ? name : module.GetName();

    /// <summary>float32, C order, little endian as ONNX's raw_data requires (x86-64 is little endian).</summary>
    private static TensorProto TensorProtoOf(string name, Tensor values)
    {
        using var scope = NewDisposeScope();
        float[] data = values.detach().to(float32).cpu().contiguous().data<float>().ToArray();
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())) };
        proto.Dims.AddRange(values.shape);
        return proto;
    }

    private static AttributeProto Text(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static ValueInfoProto ValueInfo(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string free
                ? new TensorShapeProto.Types.Dimension { DimParam = free }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}

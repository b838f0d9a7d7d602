using DctNet.Frequency.Channels;
using DctNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Platform;

/// <summary>
/// The distinct <see cref="KernelCase"/>s that models run, found by running them: every convolution, transposed
/// convolution and linear layer reports its input as the model computes. The models run in float64, which libtorch
/// computes without oneDNN, so collecting the cases cannot trip the faults they are collected to check; and where the
/// shapes do not depend on the data (classifiers, backbones) on an empty batch, which computes nothing.
/// </summary>
public sealed class KernelInventory
{
    /// <summary>The batch of the classification cases: "a small batch", as the self-check runs them.</summary>
    public const int ClassificationBatch = 2;

    private readonly Dictionary<string, (KernelCase Case, SortedSet<string> UsedBy)> _uses = new(StringComparer.Ordinal);

    /// <summary>The cases found so far, in the order first seen, each with the models that run it.</summary>
    public IReadOnlyList<KernelUse> Uses => [.. _uses.Values.Select(u => new KernelUse(u.Case, [.. u.UsedBy]))];

    public void Add(KernelCase kernel, string usedBy)
    {
        if (!_uses.TryGetValue(kernel.Description, out var use))
            _uses[kernel.Description] = use = (kernel, new SortedSet<string>(StringComparer.Ordinal));
        use.UsedBy.Add(usedBy);
    }

    /// <summary>
    /// A classification model of the registry as DctNet runs it: for inference with its BatchNorms folded (so its
    /// convolutions gain biases) and for training unfolded with the backward pass, both channels-last.
    /// </summary>
    public void AddClassificationModel(ModelDefinition definition, ChannelSubset? channels, bool gate)
    {
        ArgumentNullException.ThrowIfNull(definition);
        string name = definition.Name + (channels is null ? "" : $" ({channels.Count}{(gate ? ", gate" : "")})");
        using var model = definition.Create(channels, classes: 1000, gate);
        var trainingBias = model.named_modules().ToDictionary(m => m.name, m => HasBias(m.module));
        model.eval();
        BatchNormFolding.Fold(model);
        model.to(ScalarType.Float64);
        int[] shape = definition.ResolveInput(new InputRequest(channels)).Shape;
        var calls = Capture(model, () => model.call(zeros([0, shape[0], shape[1], shape[2]], dtype: float64)));
        foreach (var (module, layer, input) in calls)
        {
            long[] batched = [ClassificationBatch, .. input[1..]];
            Add(Case(layer, batched, HasBias(layer), channelsLast: true, backward: false), name + " inference");
            Add(Case(layer, batched, trainingBias[module], channelsLast: true, backward: true), name + " training");
        }
    }

    /// <summary>
    /// Every case that <paramref name="forward"/> runs through <paramref name="model"/> (which must compute in float64),
    /// each with its observed input shape, as the caller will run it (layout, backward).
    /// </summary>
    /// <param name="batch">The batch to check with, where the forward ran an empty batch (which costs nothing and still
    /// gives every layer's shape); null to keep the observed one.</param>
    public void AddFromForward(string usedBy, nn.Module model, Action forward, bool channelsLast, bool backward, long? batch = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (_, layer, input) in Capture(model, forward))
            Add(Case(layer, batch is { } n ? [n, .. input[1..]] : input, HasBias(layer), channelsLast, backward), usedBy);
    }

    /// <summary>The classification models of the registry with each input they take: DCT models with every built-in subset, all 192 channels and the gate.</summary>
    public void AddRegistry()
    {
        foreach (var definition in ModelRegistry.Models)
        {
            if (!definition.TakesDct)
            {
                AddClassificationModel(definition, null, gate: false);
                continue;
            }
            foreach (int count in ChannelSubset.BuiltInCounts)
            {
                try
                {
                    AddClassificationModel(definition, ChannelSubset.BuiltIn(count), gate: false);
                }
                catch (ArgumentException) when (count != ChannelSubset.TotalChannels)
                {
                    // The model does not take this count (MobileNetV2-DCT: at most 32 or all 192); its builder says so.
                }
            }
            AddClassificationModel(definition, ChannelSubset.All, gate: true);
        }
    }

    private static List<(string Module, nn.Module Layer, long[] Input)> Capture(nn.Module model, Action forward)
    {
        var calls = new List<(string, nn.Module, long[])>();
        var hooks = new List<nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module is Conv2d or ConvTranspose2d or Linear)
            {
                var layer = (nn.Module<Tensor, Tensor>)module;
                hooks.Add(layer.register_forward_pre_hook((_, input) =>
                {
                    calls.Add((name, layer, input.shape));
                    return input;
                }));
            }
        }
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            forward();
        }
        finally
        {
            foreach (var hook in hooks)
                hook.remove();
        }
        return calls;
    }

    private static bool HasBias(nn.Module module)
        => module switch
        {
            Conv2d conv => conv.bias is not null,
            ConvTranspose2d transposed => transposed.bias is not null,
            Linear linear => linear.bias is not null,
            _ => false,
        };

    private static KernelCase Case(nn.Module layer, long[] input, bool bias, bool channelsLast, bool backward)
        => layer switch
        {
            Conv2d c => new KernelCase(KernelOperation.Convolution, input, c.weight!.shape[0], [.. c.kernel_size], [.. c.stride], [.. c.padding!], [.. c.dilation],
                [0, 0], c.groups, bias, channelsLast, backward),
            ConvTranspose2d t => new KernelCase(KernelOperation.TransposedConvolution, input, t.weight!.shape[1] * t.groups, [.. t.kernel_size], [.. t.stride],
                [.. t.padding!], [.. t.dilation], [.. t.output_padding], t.groups, bias, channelsLast, backward),
            Linear l => new KernelCase(KernelOperation.Linear, input, l.out_features, [], [], [], [], [], 1, bias, ChannelsLast: false, backward),
            _ => throw new ArgumentException($"{layer.GetType().Name} is not a kernel the inventory checks.", nameof(layer)),
        };
}

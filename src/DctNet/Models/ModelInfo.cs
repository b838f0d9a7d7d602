using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>Size and cost of a model for one image.</summary>
/// <param name="Parameters">Trainable parameters (buffers such as BN statistics excluded).</param>
/// <param name="MacsPerImage">Multiply-accumulates of the Conv2d and Linear layers for one image (biases, BN,
/// activations and pooling excluded, as the usual GMAC figures count).</param>
/// <param name="InputShape">C x H x W of one image.</param>
public sealed record ModelInfo(long Parameters, long MacsPerImage, IReadOnlyList<int> InputShape)
{
    /// <summary>
    /// Counts the parameters and measures the MACs with one forward pass of a zero image, recording each Conv2d's and
    /// Linear's output size (its MACs are output elements x weights per output element). The model runs in evaluation
    /// mode for the pass and gets its mode back.
    /// </summary>
    public static ModelInfo Measure(nn.Module<Tensor, Tensor> model, IReadOnlyList<int> inputShape)
    {
        long parameters = model.parameters().Sum(p => p.numel());
        long macs = 0;
        long Count(Tensor weight, Tensor output) => output.numel() * (weight.numel() / weight.shape[0]);

        var hooks = new List<Action>();
        foreach (var module in model.modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    hooks.Add(conv.register_forward_hook((_, _, output) => { macs += Count(conv.weight, output); return output; }).remove);
                    break;
                case Linear linear:
                    hooks.Add(linear.register_forward_hook((_, _, output) => { macs += Count(linear.weight, output); return output; }).remove);
                    break;
            }
        }

        bool wasTraining = model.training;
        try
        {
            model.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.call(zeros([1, .. inputShape.Select(d => (long)d)]));
        }
        finally
        {
            hooks.ForEach(remove => remove());
            model.train(wasTraining);
        }
        return new ModelInfo(parameters, macs, inputShape);
    }
}

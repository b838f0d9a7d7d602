using DctNet.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Training;

/// <summary>
/// PyTorch's SGD (momentum, dampening 0, optional Nesterov, L2 weight decay added to the gradient) written out here
/// so that its momentum buffers are plain named tensors that a run directory can save and restore exactly.
/// By default weight decay applies to the parameters of two or more dimensions only (BatchNorm weights and every bias
/// are 1-D), as classification recipes do; detection recipes decay every parameter.
/// </summary>
public sealed class MomentumSgd : IDisposable
{
    private readonly IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter, bool Decays)> parameters;
    private readonly Dictionary<string, Tensor> momentumBuffers = [];
    private readonly double momentum;
    private readonly bool nesterov;
    private readonly double weightDecay;

    // Held for the optimizer's life rather than converted at each call (HeldScalars); finalized with the optimizer.
    private readonly Scalar momentumScalar;
    private readonly Scalar weightDecayScalar;

    /// <summary>An optimizer of the parameters of <paramref name="module"/> that require gradients now.</summary>
    /// <param name="decays">Which parameters get weight decay; those of two or more dimensions when null.</param>
    public MomentumSgd(nn.Module module, double momentum, bool nesterov, double weightDecay, Func<TorchSharp.Modules.Parameter, bool>? decays = null)
    {
        decays ??= parameter => parameter.dim() > 1;
        parameters = [.. module.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter, decays(p.parameter)))];
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        momentumScalar = momentum.ToScalar();
        weightDecayScalar = weightDecay.ToScalar();
    }

    /// <summary>The parameters it updates.</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> Parameters => parameters.Select(p => p.Parameter);

    /// <summary>Names of the parameters that get weight decay.</summary>
    public IEnumerable<string> Decayed => parameters.Where(p => p.Decays).Select(p => p.Name);

    public void ZeroGrad()
    {
        foreach (var (_, parameter, _) in parameters)
            parameter.grad?.zero_();
    }

    /// <summary>One update with the gradients in the parameters: p -= lr * (momentum-filtered gradient + decay * p).</summary>
    /// <remarks>The buffers live across steps, outside any dispose scope of the caller.</remarks>
    public void Step(double learningRate) => Step(_ => learningRate);

    /// <summary>One update, each parameter at the rate <paramref name="rateOf"/> gives for its name (as PyTorch's parameter groups).</summary>
    public void Step(Func<string, double> rateOf)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter, decays) in parameters)
        {
            if (parameter.grad is not { } grad)
                continue;
            using var scope = NewDisposeScope();
            using var step = (-rateOf(name)).ToScalar();
            var direction = decays && weightDecay != 0 ? grad.add(parameter, weightDecayScalar) : grad;
            if (momentum != 0)
            {
                if (momentumBuffers.TryGetValue(name, out var buffer))
                    buffer.mul_(momentumScalar).add_(direction, HeldScalars.One);
                else
                    momentumBuffers[name] = buffer = direction.detach().clone().DetachFromDisposeScope();
                direction = nesterov ? direction.add(buffer, momentumScalar) : buffer;
            }
            parameter.add_(direction, step);
        }
    }

    /// <summary>The momentum buffers by parameter name (absent before the first step), as PyTorch's optimizer state holds them.</summary>
    public StateDict CaptureState()
    {
        var state = new StateDict();
        foreach (var (name, _, _) in parameters)
        {
            if (momentumBuffers.TryGetValue(name, out var buffer))
                state.Add(name, TensorData.FromTensor(buffer));
        }
        return state;
    }

    /// <exception cref="CheckpointException">A buffer for no parameter of the model, or of another shape.</exception>
    public void LoadState(StateDict state, string source)
    {
        var byName = parameters.ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, data) in state)
        {
            if (!byName.TryGetValue(name, out var parameter) || !data.Shape.SequenceEqual(parameter.shape))
                throw new CheckpointException($"{source}: momentum buffer '{name}' {data.ShapeText} fits no parameter of the model.");
        }
        Dispose();
        using var noGrad = no_grad();
        foreach (var (name, data) in state)
        {
            using var loaded = data.ToTensor();
            var buffer = zeros_like(byName[name]).DetachFromDisposeScope();
            momentumBuffers[name] = buffer.copy_(loaded);
        }
    }

    public void Dispose()
    {
        foreach (var buffer in momentumBuffers.Values)
            buffer.Dispose();
        momentumBuffers.Clear();
    }
}

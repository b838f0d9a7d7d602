using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// The release's hard Gumbel-softmax (<c>GumbleSoftmax</c> with <c>force_hard=True</c>, temperature 1), split into
/// drawing the noise and using it, so that callers can fix the noise and get deterministic gates.
/// </summary>
public static class GumbelSoftmax
{
    // The release adds 1e-10 inside both logarithms so that u = 0 or u -> 1 gives large finite samples, never infinities.
    private const double Epsilon = 1e-10;

    /// <summary>Gumbel(0, 1) noise drawn as the release draws it: -log(eps - log(u + eps)), u uniform on [0, 1).</summary>
    /// <param name="generator">Source of the uniforms; null uses TorchSharp's global generator (<c>torch.manual_seed</c>).</param>
    public static Tensor SampleNoise(long[] shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        using var scope = NewDisposeScope();
        // Held until the calls return (HeldScalars).
        using var epsilon = Epsilon.ToScalar();
        var uniform = rand(shape, dtype: dtype, device: device, generator: generator);
        return uniform.add(epsilon, HeldScalars.One).log().neg().add(epsilon, HeldScalars.One).log().neg().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Straight-through hard sample over <paramref name="dim"/>: the value is the one-hot of the argmax of
    /// logits + noise, the gradient is that of the soft sample softmax((logits + noise) / temperature).
    /// </summary>
    /// <param name="temperature">Shapes the gradient only, since the argmax does not depend on it; the release's is 1.</param>
    public static Tensor HardSample(Tensor logits, Tensor noise, long dim = -1, double temperature = 1)
    {
        if (!logits.shape.SequenceEqual(noise.shape))
            throw new ArgumentException($"Gumbel noise of shape [{string.Join(", ", noise.shape)}] does not match the logits' [{string.Join(", ", logits.shape)}].", nameof(noise));
        using var scope = NewDisposeScope();
        var perturbed = logits.add(noise, HeldScalars.One);
        // At the release's temperature nothing is divided, so that the values stay the release's bit for bit; the
        // scalars are held until libtorch returns (HeldScalars).
        using var divisor = temperature.ToScalar();
        var soft = nn.functional.softmax(temperature == 1 ? perturbed : perturbed.div(divisor), dim);
        var index = soft.argmax(dim, keepdim: true);
        var hard = zeros_like(soft).scatter_(dim, index, ones_like(index, dtype: soft.dtype));
        // Written (hard - soft) + soft as in the release, so that the forward values agree with it bit for bit.
        return (hard - soft.detach()).add(soft, HeldScalars.One).MoveToOuterDisposeScope();
    }
}

using TorchSharp;

namespace DctNet;

/// <summary>
/// Scalars that stay reachable for the life of the process, for libtorch calls on hot paths.
/// </summary>
/// <remarks>
/// TorchSharp turns a number passed where a <see cref="Scalar"/> is expected - and the alpha of every tensor add,
/// 1 when not given (<c>a + b</c> included) - into a temporary whose only use is the native handle it passes to libtorch. Nothing keeps
/// that object alive during the call, so a garbage collection on another thread can run its finalizer, which frees the
/// native scalar while libtorch reads it: training runs failed so in libtorch's Scalar::toFloat and Scalar::type
/// (TorchSharp pull requests 1434 and 1496, open, dispose those temporaries). So hot paths pass these instead, and a
/// value known only at run time is held in a <c>using var s = value.ToScalar();</c> until the call returns.
/// </remarks>
public static class HeldScalars
{
    /// <summary>The alpha of a plain add.</summary>
    public static readonly Scalar One = 1.ToScalar();

    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar MinusOne = (-1).ToScalar();
    public static readonly Scalar Half = 0.5.ToScalar();

    /// <summary>The largest byte: pixels to [0, 1] and back.</summary>
    public static readonly Scalar ByteMax = 255.ToScalar();
}

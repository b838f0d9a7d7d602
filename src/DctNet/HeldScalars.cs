using TorchSharp;
using static TorchSharp.torch;

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

/// <summary>
/// Tensor arithmetic with a number, its Scalar held until libtorch returns (<see cref="HeldScalars"/>): what the
/// operators (<c>x * 0.5</c>, <c>x + 1</c>) compute, without their temporaries. Each keeps the number's C# type, as the
/// operators do.
/// </summary>
public static class HeldArithmetic
{
    public static Tensor Plus(this Tensor tensor, Tensor other) => tensor.add(other, HeldScalars.One);

    public static Tensor Plus(this Tensor tensor, double value) => Held(value.ToScalar(), scalar => tensor.add(scalar, HeldScalars.One));
    public static Tensor Plus(this Tensor tensor, float value) => Held(value.ToScalar(), scalar => tensor.add(scalar, HeldScalars.One));
    public static Tensor Plus(this Tensor tensor, long value) => Held(value.ToScalar(), scalar => tensor.add(scalar, HeldScalars.One));

    public static Tensor Minus(this Tensor tensor, double value) => Held(value.ToScalar(), tensor.sub);
    public static Tensor Minus(this Tensor tensor, long value) => Held(value.ToScalar(), tensor.sub);

    public static Tensor Times(this Tensor tensor, double value) => Held(value.ToScalar(), tensor.mul);
    public static Tensor Times(this Tensor tensor, float value) => Held(value.ToScalar(), tensor.mul);
    public static Tensor Times(this Tensor tensor, long value) => Held(value.ToScalar(), tensor.mul);

    public static Tensor Over(this Tensor tensor, double value) => Held(value.ToScalar(), scalar => tensor.div(scalar));
    public static Tensor Over(this Tensor tensor, long value) => Held(value.ToScalar(), scalar => tensor.div(scalar));

    /// <summary><paramref name="value"/> - <paramref name="tensor"/>, as TorchSharp computes it: -tensor + value.</summary>
    public static Tensor Subtracted(this Tensor tensor, float value) => tensor.negative().Plus(value);

    /// <summary>Runs <paramref name="operation"/> with <paramref name="scalar"/>, then frees it.</summary>
    private static Tensor Held(Scalar scalar, Func<Scalar, Tensor> operation)
    {
        using (scalar)
            return operation(scalar);
    }
}

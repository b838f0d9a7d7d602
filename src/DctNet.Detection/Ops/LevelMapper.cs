using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Ops;

/// <summary>
/// torchvision's LevelMapper, eq. 1 of the FPN paper: a box of size s = sqrt(area) goes to level
/// floor(4 + log2(s / 224) + 1e-6), clamped to [kMin, kMax]; returned as level - kMin.
/// </summary>
public sealed class LevelMapper(int kMin, int kMax, int canonicalScale = 224, int canonicalLevel = 4, float epsilon = 1e-6f)
{
    public int KMin { get; } = kMin;
    public int KMax { get; } = kMax;

    // Held for the mapper's life rather than passed as temporaries (HeldScalars).
    private readonly Scalar min = kMin.ToScalar(), max = kMax.ToScalar(), scale = canonicalScale.ToScalar(), level = canonicalLevel.ToScalar(), offset = epsilon.ToScalar();

    /// <summary>The 0-based level (int64) of every box of an (N, 4) tensor.</summary>
    public Tensor Map(Tensor boxes)
    {
        using var scope = NewDisposeScope();
        var sizes = Structures.BoxOps.Area(boxes).sqrt();
        var levels = sizes.div(scale).log2().add(level, HeldScalars.One).add(offset, HeldScalars.One).floor().clamp(min, max);
        return levels.to(ScalarType.Int64).sub(min).MoveToOuterDisposeScope();
    }
}

using static TorchSharp.torch;

namespace DctNet.Detection.Structures;

/// <summary>
/// torchvision's AnchorGenerator: per feature level, cell anchors of the level's sizes and aspect ratios (rounded,
/// centred on 0) shifted to every position of the level's grid with the level's stride (image size // grid size).
/// Order: level, then grid row, grid column, then ratio-major cell anchor - the order of the RPN head's outputs.
/// </summary>
public sealed class AnchorGenerator
{
    private readonly Tensor[] cellAnchors;

    /// <param name="sizes">Anchor sizes (sqrt of the area) of each level.</param>
    /// <param name="aspectRatios">Height / width ratios of each level.</param>
    public AnchorGenerator(IReadOnlyList<double[]> sizes, IReadOnlyList<double[]> aspectRatios)
    {
        if (sizes.Count != aspectRatios.Count)
            throw new ArgumentException($"{sizes.Count} levels of sizes but {aspectRatios.Count} of aspect ratios.", nameof(aspectRatios));
        cellAnchors = [.. sizes.Zip(aspectRatios, CellAnchors)];
    }

    /// <summary>The detection models' generator: sizes 32..512 on five levels (stride 4..64 gives scale 8), ratios 0.5, 1, 2.</summary>
    public static AnchorGenerator ForFpn() => new(
        [[32], [64], [128], [256], [512]],
        [.. Enumerable.Repeat<double[]>([0.5, 1.0, 2.0], 5)]);

    /// <summary>Anchors per position of each level.</summary>
    public IReadOnlyList<int> AnchorsPerLocation => [.. cellAnchors.Select(c => (int)c.shape[0])];

    /// <summary>The anchors (A, 4) for a padded batch of <paramref name="imageHeight"/> x <paramref name="imageWidth"/>.</summary>
    public Tensor Anchors(long imageHeight, long imageWidth, IReadOnlyList<(long Height, long Width)> gridSizes)
    {
        if (gridSizes.Count != cellAnchors.Length)
            throw new ArgumentException($"{gridSizes.Count} feature maps for {cellAnchors.Length} anchor levels.", nameof(gridSizes));
        using var scope = NewDisposeScope();
        var levels = new List<Tensor>();
        for (int level = 0; level < cellAnchors.Length; level++)
        {
            var (height, width) = gridSizes[level];
            long strideY = imageHeight / height, strideX = imageWidth / width;
            var shiftsX = arange(0, width, ScalarType.Int64).mul(strideX).to(ScalarType.Float32);
            var shiftsY = arange(0, height, ScalarType.Int64).mul(strideY).to(ScalarType.Float32);
            var grid = meshgrid([shiftsY, shiftsX], indexing: "ij");
            var x = grid[1].reshape(-1);
            var y = grid[0].reshape(-1);
            var shifts = stack([x, y, x, y], dim: 1);
            levels.Add(shifts.view(-1, 1, 4).Plus(cellAnchors[level].view(1, -1, 4)).reshape(-1, 4));
        }
        return cat(levels, 0).MoveToOuterDisposeScope();
    }

    /// <summary>generate_anchors: (-w, -h, w, h) / 2 rounded, ratio-major, in float32 as torchvision computes them.</summary>
    private static Tensor CellAnchors(double[] sizes, double[] ratios)
    {
        using var scope = NewDisposeScope();
        var scales = tensor(sizes.Select(s => (float)s).ToArray());
        var heightRatios = tensor(ratios.Select(r => (float)r).ToArray()).sqrt();
        var widthRatios = heightRatios.reciprocal();
        var widths = (widthRatios.unsqueeze(1) * scales.unsqueeze(0)).view(-1);
        var heights = (heightRatios.unsqueeze(1) * scales.unsqueeze(0)).view(-1);
        return stack([-widths, -heights, widths, heights], dim: 1).Over(2L).round().MoveToOuterDisposeScope();
    }
}

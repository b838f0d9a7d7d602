namespace DctNet.Models;

/// <summary>The residual block of a ResNet, as torchvision names them.</summary>
public enum ResidualBlockKind
{
    /// <summary>Two 3x3 convs (ResNet-18, -34).</summary>
    Basic,

    /// <summary>1x1 reduce, 3x3, 1x1 expand by 4 (ResNet-50, -101).</summary>
    Bottleneck,
}

/// <summary>
/// A ResNet as torchvision builds it: the block and the number of blocks in layer1..layer4. The four depths are
/// torchvision's; other block counts give cheap variants (the parity fixtures use [2, 2, 1, 1]).
/// </summary>
public sealed record ResNetArchitecture
{
    public ResNetArchitecture(ResidualBlockKind block, IReadOnlyList<int> layers)
    {
        if (layers.Count != 4 || layers.Any(blocks => blocks < 1))
            throw new ArgumentException($"A ResNet has four stages of at least one block, got [{string.Join(", ", layers)}].", nameof(layers));
        Block = block;
        Layers = layers;
    }

    public static ResNetArchitecture ResNet18 { get; } = new(ResidualBlockKind.Basic, [2, 2, 2, 2]);
    public static ResNetArchitecture ResNet34 { get; } = new(ResidualBlockKind.Basic, [3, 4, 6, 3]);
    public static ResNetArchitecture ResNet50 { get; } = new(ResidualBlockKind.Bottleneck, [3, 4, 6, 3]);
    public static ResNetArchitecture ResNet101 { get; } = new(ResidualBlockKind.Bottleneck, [3, 4, 23, 3]);

    public static IReadOnlyList<ResNetArchitecture> All { get; } = [ResNet18, ResNet34, ResNet50, ResNet101];

    public ResidualBlockKind Block { get; }
    public IReadOnlyList<int> Layers { get; }

    /// <summary>Weighted layers on the main path: 2 or 3 convs per block, the stem conv and the classifier.</summary>
    public int Depth => (Block == ResidualBlockKind.Bottleneck ? 3 : 2) * Layers.Sum() + 2;

    /// <summary>Output channels of a block per input "plane": 1 for basic blocks, 4 for bottlenecks.</summary>
    public int Expansion => Block == ResidualBlockKind.Bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;

    public string Name => $"ResNet-{Depth}";

    public static ResNetArchitecture FromDepth(int depth)
        => All.FirstOrDefault(a => a.Depth == depth)
           ?? throw new ArgumentException($"No ResNet of depth {depth}; choose one of {string.Join(", ", All.Select(a => a.Depth))}.", nameof(depth));
}

namespace DctNet.Training;

/// <summary>
/// The random streams of a run, each derived from the run's seed and its position alone (never from a stream that
/// runs across epochs), so that a run resumed at any epoch draws exactly what the uninterrupted run drew.
/// </summary>
public static class SeededStreams
{
    /// <summary>The order of the training samples in <paramref name="epoch"/>: a Fisher-Yates shuffle.</summary>
    public static int[] SampleOrder(int seed, int epoch, int count)
    {
        var random = new Random(Derive(seed, epoch, -1));
        var order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        return order;
    }

    /// <summary>The augmentation stream of one sample in one epoch.</summary>
    public static Random Augmentation(int seed, int epoch, int sampleIndex) => new(Derive(seed, epoch, sampleIndex));

    /// <summary>The stream that orders the batches of <paramref name="epoch"/> (detection's aspect-ratio groups).</summary>
    public static Random BatchOrder(int seed, int epoch) => new(Derive(seed, epoch, -3));

    /// <summary>A seed for libtorch's generators in <paramref name="epoch"/> (the gate's Gumbel noise, detection's samplers).</summary>
    public static ulong TorchSeed(int seed, int epoch) => (ulong)(uint)Derive(seed, epoch, -2);

    /// <summary>SplitMix64 over the three numbers: fixed across processes and .NET versions, unlike HashCode.</summary>
    internal static int Derive(int seed, int epoch, int index)
    {
        ulong state = (ulong)(uint)seed;
        state = Mix(state ^ (ulong)(uint)epoch * 0x9E3779B97F4A7C15UL);
        state = Mix(state ^ (ulong)(uint)index * 0xBF58476D1CE4E5B9UL);
        return (int)(state & 0x7FFFFFFF);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

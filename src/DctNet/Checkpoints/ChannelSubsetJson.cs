using DctNet.Frequency.Channels;

namespace DctNet.Checkpoints;

/// <summary>A channel subset as the checkpoints' metadata JSON holds it, classification's and detection's alike: its name and its Y, Cb and Cr lists.</summary>
public sealed record ChannelSubsetJson(string Name, int[] Y, int[] Cb, int[] Cr)
{
    public static ChannelSubsetJson? From(ChannelSubset? channels) => channels is null ? null : new(channels.Name, [.. channels.Y], [.. channels.Cb], [.. channels.Cr]);

    /// <exception cref="ArgumentException">Not a valid subset.</exception>
    public ChannelSubset ToSubset() => ChannelSubset.FromLists(Name, Y, Cb, Cr);
}

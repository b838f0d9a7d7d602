namespace DctNet.Frequency.Channels;

/// <summary>The three JPEG components; each contributes 64 frequency channels (Y 0-63, Cb 64-127, Cr 128-191).</summary>
public enum DctComponent
{
    Y = 0,
    Cb = 1,
    Cr = 2,
}

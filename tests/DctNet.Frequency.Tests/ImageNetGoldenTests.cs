using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Frequency.Tests;

/// <summary>Full-size real ImageNet samples (../shared/data) against the reference's coefficients at the release's geometries.</summary>
public class ImageNetGoldenTests
{
    public static TheoryData<string> Cases => Fixtures.Ids("imagenet");

    [SharedDataTheory]
    [MemberData(nameof(Cases))]
    public void Coefficients_equal_the_reference_at_full_size(string id)
    {
        var c = Fixtures.Case(id);
        string path = Path.Combine(Fixtures.ImageNetSamples, c.GetProperty("shared_file").GetString()!);
        var geometry = new CropGeometry(c.GetProperty("resize").GetInt32(), c.GetProperty("crop").GetInt32());
        var expected = Fixtures.Load(c.GetProperty("outputs").GetProperty("coefficients").GetString()!);

        var image = new ImageDecoder().DecodeFile(path);
        var actual = new DctTransform(geometry, ChannelSubset.All, statistics: null).RawCoefficients(image);

        Assert.Equal(new[] { 192, geometry.BlocksPerSide, geometry.BlocksPerSide }, expected.Shape);
        int mismatches = expected.AsInt16().Where((value, i) => value != actual[i]).Count();
        Assert.True(mismatches == 0, $"{id}: {mismatches} of {actual.Length} coefficients differ from the reference");
    }
}

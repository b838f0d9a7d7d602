using DctNet.Demo;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Tests.Demo;

public sealed class SyntheticImagesTests : IDisposable
{
    private const int Side = 64;
    private const int ImagesPerClass = 8;
    private readonly string temp = Directory.CreateTempSubdirectory("dctnet-synthetic-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public void The_dataset_is_a_function_of_the_seed_alone()
    {
        var size = new SyntheticDatasetSize(TrainPerClass: 3, ValPerClass: 1, ImageSide: Side);
        string first = Path.Combine(temp, "first"), again = Path.Combine(temp, "again"), other = Path.Combine(temp, "other");

        SyntheticImages.WriteDataset(first, size, seed: 7, threads: 1);
        SyntheticImages.WriteDataset(again, size, seed: 7, threads: 2);
        SyntheticImages.WriteDataset(other, size, seed: 8, threads: 2);

        var files = Files(first);
        Assert.Equal(size.Total, files.Length);
        Assert.Equal(["train/blobs/0000.jpg", "train/blobs/0001.jpg", "train/blobs/0002.jpg", "train/colour-stripes/0000.jpg"], files[..4]);
        Assert.Equal(["val/blobs/0000.jpg", "val/colour-stripes/0000.jpg", "val/horizontal-stripes/0000.jpg", "val/vertical-stripes/0000.jpg"], files[^4..]);
        Assert.Equal(files, Files(again));
        Assert.All(files, file => Assert.Equal(File.ReadAllBytes(Path.Combine(first, file)), File.ReadAllBytes(Path.Combine(again, file))));
        Assert.All(files, file => Assert.NotEqual(File.ReadAllBytes(Path.Combine(first, file)), File.ReadAllBytes(Path.Combine(other, file))));
        var image = new ImageDecoder().DecodeFile(Path.Combine(first, files[0]));
        Assert.Equal((Side, Side), (image.Width, image.Height));
    }

    [Fact]
    public void Stripes_put_their_luma_energy_across_their_orientation()
    {
        foreach (var energy in Measure(SyntheticClass.HorizontalStripes))
            Assert.True(energy.VerticalLuma > 5 * energy.HorizontalLuma, $"horizontal stripes: {energy}");
        foreach (var energy in Measure(SyntheticClass.VerticalStripes))
            Assert.True(energy.HorizontalLuma > 5 * energy.VerticalLuma, $"vertical stripes: {energy}");
    }

    [Fact]
    public void Colour_stripes_live_in_chroma_and_blobs_in_the_lowest_frequencies()
    {
        var blobs = Measure(SyntheticClass.Blobs);
        var colour = Measure(SyntheticClass.ColourStripes);
        var luma = Measure(SyntheticClass.HorizontalStripes).Concat(Measure(SyntheticClass.VerticalStripes)).ToList();

        foreach (var energy in colour)
            Assert.True(energy.ChromaAc > 5 * energy.LumaAc, $"colour stripes: {energy}");
        Assert.True(colour.Average(e => e.ChromaAc) > 3 * blobs.Average(e => e.ChromaAc));
        Assert.True(luma.Average(e => e.LumaAc) > 5 * blobs.Average(e => e.LumaAc));
        // The mean colour tells nothing: every class spans most of the range of mean luma.
        foreach (var kind in Enum.GetValues<SyntheticClass>())
        {
            var means = Measure(kind).Select(e => e.MeanLuma).ToList();
            Assert.True(means.Max() - means.Min() > 40, $"{kind}: mean luma {means.Min():0} to {means.Max():0}");
        }
    }

    [Fact]
    public void Colour_stripes_swing_along_one_chroma_axis_so_that_Cb_and_Cr_each_carry_some_of_the_class()
    {
        var colour = Measure(SyntheticClass.ColourStripes);

        // The swing is along one axis; the distractor blobs add a little to both.
        foreach (var energy in colour)
            Assert.True(Math.Max(energy.CbAc, energy.CrAc) > 5 * Math.Min(energy.CbAc, energy.CrAc), $"colour stripes: {energy}");
        Assert.Contains(colour, energy => energy.CbAc > energy.CrAc);
        Assert.Contains(colour, energy => energy.CrAc > energy.CbAc);
    }

    [Fact]
    public void Each_class_defining_channel_carries_clearly_more_energy_than_in_any_other_class()
    {
        var energies = Enum.GetValues<SyntheticClass>().ToDictionary(kind => kind, ChannelEnergies);
        var weak = new List<string>();
        foreach (var kind in Enum.GetValues<SyntheticClass>())
        {
            foreach (int channel in SyntheticImages.DefiningChannels(kind))
            {
                double own = energies[kind][channel];
                var (other, most) = energies.Where(e => e.Key != kind).Select(e => (e.Key, e.Value[channel])).MaxBy(e => e.Item2);
                // 1.5x over 8 images a class; measured 1.9x to over 50x (Cr at v = 1 against blobs' soft edges is the closest).
                if (!(own > 1.5 * most))
                    weak.Add($"{kind}, channel {channel}: {own:0} against {most:0} in {other}");
            }
        }
        Assert.True(weak.Count == 0, string.Join("; ", weak));
    }

    [Fact]
    public void Each_striped_image_holds_its_pattern_in_one_defining_channel_and_no_other()
    {
        var striped = new[] { SyntheticClass.ColourStripes, SyntheticClass.HorizontalStripes, SyntheticClass.VerticalStripes };
        foreach (var kind in striped)
        {
            var used = new HashSet<int>();
            for (int seed = 0; seed < 3 * ImagesPerClass; seed++)
            {
                var energies = ImageChannelEnergies(kind, seed);
                var ac = Enumerable.Range(0, ChannelSubset.TotalChannels).Where(c => c % ChannelSubset.ChannelsPerComponent != 0)
                    .OrderByDescending(c => energies[c]).ToList();
                Assert.Contains(ac[0], SyntheticImages.DefiningChannels(kind));
                Assert.True(energies[ac[0]] > 10 * energies[ac[1]], $"{kind} {seed}: channel {ac[0]} {energies[ac[0]]:0}, channel {ac[1]} {energies[ac[1]]:0}");
                used.Add(ac[0]);
            }
            // Every defining channel carries some of the images: none can be dropped at no cost.
            Assert.Equal(SyntheticImages.DefiningChannels(kind).Order(), used.Order());
        }
    }

    [Fact]
    public void Halved_chroma_would_leave_the_colour_stripes_a_second_carrier_at_index_7_and_the_dataset_keeps_it_whole()
    {
        // Cr at (u, v) = (7, 0): how much more energy colour stripes leave there than any other class does.
        static double ColourStripesAgainstTheRest(SkiaSharp.SKJpegEncoderDownsample chroma)
        {
            const int Channel = 128 + 7;
            var energies = Enum.GetValues<SyntheticClass>().ToDictionary(kind => kind,
                kind => Enumerable.Range(0, ImagesPerClass).Average(seed => ImageChannelEnergies(kind, seed, chroma)[Channel]));
            return energies[SyntheticClass.ColourStripes] / energies.Where(e => e.Key != SyntheticClass.ColourStripes).Max(e => e.Value);
        }

        Assert.Equal(SkiaSharp.SKJpegEncoderDownsample.Downsample444, SyntheticImages.DatasetChroma);
        // Measured over 16 images a class: 3.1x halved, 1.0x whole.
        double halved = ColourStripesAgainstTheRest(SkiaSharp.SKJpegEncoderDownsample.Downsample420);
        double whole = ColourStripesAgainstTheRest(SyntheticImages.DatasetChroma);
        Assert.True(halved > 2 && whole < 1.5, $"colour stripes against the other classes at Cr (7, 0): {halved:0.0}x halved, {whole:0.0}x whole");
    }

    /// <summary>Mean energy of each of the 192 raw DCT channels per block, over JPEG round-tripped images of <paramref name="kind"/>.</summary>
    private static double[] ChannelEnergies(SyntheticClass kind)
    {
        var energies = new double[ChannelSubset.TotalChannels];
        for (int seed = 0; seed < ImagesPerClass; seed++)
        {
            var image = ImageChannelEnergies(kind, seed);
            for (int channel = 0; channel < energies.Length; channel++)
                energies[channel] += image[channel] / ImagesPerClass;
        }
        return energies;
    }

    /// <summary>Mean energy per block of each of the 192 raw DCT channels of one image, encoded as the dataset encodes it unless <paramref name="chroma"/> says otherwise.</summary>
    private static double[] ImageChannelEnergies(SyntheticClass kind, int seed, SkiaSharp.SKJpegEncoderDownsample chroma = SyntheticImages.DatasetChroma)
    {
        var transform = new DctTransform(new CropGeometry(Side, Side), ChannelSubset.All, statistics: null);
        int blocks = transform.Geometry.BlocksPerSide * transform.Geometry.BlocksPerSide;
        var jpeg = SyntheticImages.EncodeJpeg(SyntheticImages.Draw(kind, Side, new Random(seed)), SyntheticImages.JpegQuality, chroma);
        var coefficients = transform.RawCoefficients(new ImageDecoder().Decode(jpeg, $"{kind} {seed}"));
        var energies = new double[ChannelSubset.TotalChannels];
        for (int channel = 0; channel < energies.Length; channel++)
        {
            foreach (short c in coefficients.AsSpan(channel * blocks, blocks))
                energies[channel] += (double)c * c / blocks;
        }
        return energies;
    }

    /// <summary>Mean energy per 8x8 block of the raw DCT coefficients (as the models' input computes them) of JPEG round-tripped images.</summary>
    /// <param name="VerticalLuma">Y coefficients with v &gt; u: what horizontal stripes excite.</param>
    /// <param name="HorizontalLuma">Y coefficients with u &gt; v.</param>
    /// <param name="LumaAc">Every Y coefficient but DC.</param>
    /// <param name="CbAc">Every Cb coefficient but DC.</param>
    /// <param name="CrAc">Every Cr coefficient but DC.</param>
    /// <param name="MeanLuma">The mean Y level (0-255) from the DC coefficients.</param>
    private sealed record BlockEnergy(double VerticalLuma, double HorizontalLuma, double LumaAc, double CbAc, double CrAc, double MeanLuma)
    {
        public double ChromaAc => CbAc + CrAc;
    }

    private static List<BlockEnergy> Measure(SyntheticClass kind)
    {
        var transform = new DctTransform(new CropGeometry(Side, Side), ChannelSubset.All, statistics: null);
        var decoder = new ImageDecoder();
        int blocks = transform.Geometry.BlocksPerSide * transform.Geometry.BlocksPerSide;
        var result = new List<BlockEnergy>();
        for (int seed = 0; seed < ImagesPerClass; seed++)
        {
            var jpeg = SyntheticImages.EncodeJpeg(SyntheticImages.Draw(kind, Side, new Random(seed)), SyntheticImages.JpegQuality, SyntheticImages.DatasetChroma);
            var coefficients = transform.RawCoefficients(decoder.Decode(jpeg, $"{kind} {seed}"));
            double vertical = 0, horizontal = 0, lumaAc = 0, cbAc = 0, crAc = 0, dc = 0;
            for (int channel = 0; channel < ChannelSubset.TotalChannels; channel++)
            {
                int k = channel % ChannelSubset.ChannelsPerComponent, v = k / 8, u = k % 8;
                var plane = coefficients.AsSpan(channel * blocks, blocks);
                double energy = 0;
                foreach (short c in plane)
                    energy += (double)c * c;
                energy /= blocks;
                if (channel == 0)
                {
                    foreach (short c in plane)
                        dc += c;
                    dc /= blocks;
                }
                else if (channel < ChannelSubset.ChannelsPerComponent)
                {
                    lumaAc += energy;
                    vertical += v > u ? energy : 0;
                    horizontal += u > v ? energy : 0;
                }
                else if (k != 0 && channel < 2 * ChannelSubset.ChannelsPerComponent)
                {
                    cbAc += energy;
                }
                else if (k != 0)
                {
                    crAc += energy;
                }
            }
            // DC = 8 x block mean - 1024 (REFERENCE.md section 1).
            result.Add(new BlockEnergy(vertical, horizontal, lumaAc, cbAc, crAc, (dc + 1024) / 8));
        }
        return result;
    }

    private static string[] Files(string root) => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
        .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
        .Order(StringComparer.Ordinal)
        .ToArray();
}

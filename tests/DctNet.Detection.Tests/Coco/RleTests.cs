using DctNet.Detection.Coco;

namespace DctNet.Detection.Tests.Coco;

/// <summary>RLE behaviour beyond the golden cases: worked examples, round trips and refused input.</summary>
public class RleTests
{
    [Fact]
    public void A_mask_is_read_down_each_column_and_starts_with_a_run_of_zeros()
    {
        // 2 x 3, column-major: column 0 = (1, 1), column 1 = (0, 1), column 2 = (0, 0).
        Rle rle = Rle.Encode([1, 1, 0, 1, 0, 0], height: 2, width: 3);
        Assert.Equal([0u, 2, 1, 1, 2], rle.Counts.ToArray());
        Assert.Equal(3, rle.Area);
        Assert.Equal(new CocoBox(0, 0, 2, 2), rle.ToBox());
        Assert.Equal(new byte[] { 1, 1, 0, 1, 0, 0 }, rle.Decode());
    }

    [Fact]
    public void Nonzero_bytes_are_set_pixels_and_an_empty_mask_has_an_empty_box()
    {
        Assert.Equal([0u, 2, 2], Rle.Encode([255, 7, 0, 0], 2, 2).Counts.ToArray());
        Rle empty = Rle.Encode(new byte[6], 3, 2);
        Assert.Equal([6u], empty.Counts.ToArray());
        Assert.Equal(0, empty.Area);
        Assert.Equal(default, empty.ToBox());
    }

    [Fact]
    public void Random_masks_survive_encode_string_decode()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            int height = random.Next(1, 40), width = random.Next(1, 40);
            var mask = new byte[height * width];
            double density = random.NextDouble();
            for (int i = 0; i < mask.Length; i++)
                mask[i] = (byte)(random.NextDouble() < density ? 1 : 0);
            Rle rle = Rle.Encode(mask, height, width);
            Rle back = Rle.FromCountsString(rle.ToCountsString(), height, width);
            Assert.Equal(mask, back.Decode());
            Assert.Equal(mask.Count(v => v == 1), back.Area);
        }
    }

    [Fact]
    public void A_crowd_region_scores_a_detection_inside_it_by_the_detection_area_alone()
    {
        var crowd = new byte[10 * 10];
        crowd.AsSpan().Fill(1);
        var detection = new byte[10 * 10];
        detection.AsSpan(0, 20).Fill(1); // the first two columns
        Rle crowdRle = Rle.Encode(crowd, 10, 10), detectionRle = Rle.Encode(detection, 10, 10);
        Assert.Equal(1.0, Rle.Iou(detectionRle, crowdRle, groundTruthIsCrowd: true));
        Assert.Equal(0.2, Rle.Iou(detectionRle, crowdRle, groundTruthIsCrowd: false));
        Assert.Equal(1.0, CocoBox.Iou(new CocoBox(2, 2, 3, 3), new CocoBox(0, 0, 10, 10), groundTruthIsCrowd: true));
        Assert.Equal(0.09, CocoBox.Iou(new CocoBox(2, 2, 3, 3), new CocoBox(0, 0, 10, 10), groundTruthIsCrowd: false), 15);
    }

    [Theory]
    [InlineData("0 1", "' ' at character 1")]
    [InlineData("0p", "'p' at character 1")]
    [InlineData("0P", "ends inside a number")]
    [InlineData("PPPPPPP1", "too long")]
    [InlineData("5", "add up to 5, not 2 x 3 = 6")]
    [InlineData("", "No run lengths")]
    public void Bad_counts_strings_are_refused_with_the_reason(string counts, string reason)
    {
        var error = Assert.Throws<FormatException>(() => Rle.FromCountsString(counts, 2, 3));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_lengths_must_cover_the_mask_and_merged_masks_must_share_a_size()
    {
        Assert.Throws<ArgumentException>(() => new Rle(2, 2, [1u, 2]));
        Assert.Throws<ArgumentException>(() => Rle.Merge([Rle.Encode(new byte[4], 2, 2), Rle.Encode(new byte[6], 2, 3)]));
        Assert.Throws<ArgumentException>(() => Rle.Encode(new byte[5], 2, 3));
        Assert.Throws<ArgumentException>(() => Rle.FromPolygon([1, 2, 3], 4, 4));
    }
}

using System.Text.Json;
using DctNet.Detection.Coco;

namespace DctNet.Detection.Tests.Coco;

/// <summary>Every maskApi operation against pycocotools' own results (rle_cases.json): exact equality.</summary>
public class RleGoldenTests
{
    private static readonly JsonElement Cases = Fixtures.Json("rle_cases.json");

    private static JsonElement.ArrayEnumerator CasesOf(string kind) => Cases.GetProperty(kind).EnumerateArray();

    private static (int Height, int Width) SizeOf(JsonElement item) =>
        (item.GetProperty("size")[0].GetInt32(), item.GetProperty("size")[1].GetInt32());

    private static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetDouble())];

    private static CocoBox Box(JsonElement array) => new(array[0].GetDouble(), array[1].GetDouble(), array[2].GetDouble(), array[3].GetDouble());

    [Fact]
    public void Encoding_a_mask_gives_pycocotools_counts_area_and_box_and_decodes_back()
    {
        Assert.Equal(25, CasesOf("encode").Count());
        foreach (var item in CasesOf("encode"))
        {
            var (height, width) = SizeOf(item);
            byte[] mask = [.. item.GetProperty("mask").GetString()!.Select(c => (byte)(c - '0'))];
            Rle rle = Rle.Encode(mask, height, width);
            Assert.Equal(item.GetProperty("counts").GetString(), rle.ToCountsString());
            Assert.Equal(item.GetProperty("area").GetInt64(), rle.Area);
            Assert.Equal(Box(item.GetProperty("bbox")), rle.ToBox());
            Assert.Equal(mask, Rle.FromCountsString(item.GetProperty("counts").GetString()!, height, width).Decode());
        }
    }

    [Fact]
    public void Polygons_rasterize_as_frPoly()
    {
        Assert.Equal(60, CasesOf("poly").Count());
        foreach (var item in CasesOf("poly"))
        {
            var (height, width) = SizeOf(item);
            Rle rle = Rle.FromPolygon(Doubles(item.GetProperty("polygon")), height, width);
            Assert.Equal(item.GetProperty("counts").GetString(), rle.ToCountsString());
            Assert.Equal(item.GetProperty("area").GetInt64(), rle.Area);
            Assert.Equal(Box(item.GetProperty("bbox")), rle.ToBox());
        }
    }

    [Fact]
    public void Boxes_rasterize_as_frBbox()
    {
        foreach (var item in CasesOf("bbox"))
        {
            var (height, width) = SizeOf(item);
            Assert.Equal(item.GetProperty("counts").GetString(), Rle.FromBox(Box(item.GetProperty("box")), height, width).ToCountsString());
        }
    }

    [Fact]
    public void Merging_gives_the_union_and_the_intersection_of_pycocotools()
    {
        Assert.Equal(40, CasesOf("merge").Count());
        foreach (var item in CasesOf("merge"))
        {
            var (height, width) = SizeOf(item);
            Rle[] masks = [.. item.GetProperty("masks").EnumerateArray().Select(s => Rle.FromCountsString(s.GetString()!, height, width))];
            Rle merged = Rle.Merge(masks, item.GetProperty("intersect").GetBoolean());
            Assert.Equal(item.GetProperty("counts").GetString(), merged.ToCountsString());
        }
    }

    [Fact]
    public void Mask_ious_with_crowds_and_size_mismatches_equal_pycocotools_bit_for_bit()
    {
        foreach (var item in CasesOf("iou"))
        {
            Rle[] detections = [.. item.GetProperty("dt").EnumerateArray().Select(ReadRle)];
            Rle[] truths = [.. item.GetProperty("gt").EnumerateArray().Select(ReadRle)];
            bool[] crowd = [.. item.GetProperty("iscrowd").EnumerateArray().Select(v => v.GetInt32() == 1)];
            double[][] expected = [.. item.GetProperty("iou").EnumerateArray().Select(Doubles)];
            for (int d = 0; d < detections.Length; d++)
            {
                for (int g = 0; g < truths.Length; g++)
                    Assert.Equal(expected[d][g], Rle.Iou(detections[d], truths[g], crowd[g]));
            }
        }
        Assert.Contains(CasesOf("iou"), item => item.GetProperty("iou").EnumerateArray().Any(row => row.EnumerateArray().Any(v => v.GetDouble() == -1)));
    }

    [Fact]
    public void Box_ious_with_crowds_equal_pycocotools_bit_for_bit()
    {
        foreach (var item in CasesOf("box_iou"))
        {
            CocoBox[] detections = [.. item.GetProperty("dt").EnumerateArray().Select(Box)];
            CocoBox[] truths = [.. item.GetProperty("gt").EnumerateArray().Select(Box)];
            bool[] crowd = [.. item.GetProperty("iscrowd").EnumerateArray().Select(v => v.GetInt32() == 1)];
            double[][] expected = [.. item.GetProperty("iou").EnumerateArray().Select(Doubles)];
            for (int d = 0; d < detections.Length; d++)
            {
                for (int g = 0; g < truths.Length; g++)
                    Assert.Equal(expected[d][g], CocoBox.Iou(detections[d], truths[g], crowd[g]));
            }
        }
    }

    [Fact]
    public void Uncompressed_counts_compress_to_pycocotools_strings_and_back_including_large_runs()
    {
        foreach (var item in CasesOf("uncompressed"))
        {
            var (height, width) = SizeOf(item);
            uint[] counts = [.. item.GetProperty("counts").EnumerateArray().Select(v => v.GetUInt32())];
            string expected = item.GetProperty("string").GetString()!;
            Assert.Equal(expected, new Rle(height, width, counts).ToCountsString());
            Assert.Equal(counts, Rle.FromCountsString(expected, height, width).Counts.ToArray());
        }
    }

    private static Rle ReadRle(JsonElement item)
    {
        var (height, width) = SizeOf(item);
        return Rle.FromCountsString(item.GetProperty("counts").GetString()!, height, width);
    }
}

using DctNet.Data;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Tests.Data;

public class BatchLoaderTests
{
    private static string Fixture(string name) => TestPaths.FixtureImage(name);

    [Fact]
    public void Batches_hold_the_transformed_samples_in_order_and_report_unreadable_files()
    {
        string broken = Path.Combine(Path.GetTempPath(), $"dctnet-broken-{Guid.NewGuid():N}.jpg");
        File.WriteAllText(broken, "not an image");
        try
        {
            (string, int)[] samples =
            [
                (Fixture("jpeg_420.jpg"), 0), (Fixture("png_rgb.png"), 1), (broken, 2),
                (Fixture("jpeg_444.jpg"), 3), (Fixture("bmp_rgb24.bmp"), 4),
            ];
            var transform = new DctTransform(new CropGeometry(64, 48), ChannelSubset.BuiltIn(24), ChannelStatistics.ImageNet);
            var decoder = new ImageDecoder();
            var loader = new BatchLoader(samples, transform.OutputShape, (path, _, destination) => transform.Transform(decoder.DecodeFile(path), destination),
                batchSize: 3, threads: 2);

            var batches = loader.Batches().ToList();
            try
            {
                Assert.Equal([2, 2], batches.Select(b => b.Count));
                Assert.Equal([new LoadFailure(broken, "unrecognised image format (supported: JPEG, PNG, BMP, WebP)")], batches[0].Failures);
                Assert.Equal([0L, 1L], batches[0].Labels.data<long>().ToArray());
                Assert.Equal([3L, 4L], batches[1].Labels.data<long>().ToArray());
                Assert.Equal([2L, 24, 6, 6], batches[1].Inputs.shape);

                var expected = transform.Transform(decoder.DecodeFile(Fixture("bmp_rgb24.bmp")));
                Assert.Equal(expected, batches[1].Inputs[1].data<float>().ToArray());
            }
            finally
            {
                batches.ForEach(b => b.Dispose());
            }
        }
        finally
        {
            File.Delete(broken);
        }
    }
}

using DctNet.Detection.Modeling;
using Xunit.Abstractions;

namespace DctNet.Detection.Tests.Modeling;

/// <summary>
/// The speed comparison with tools/baseline/detection_speed.py: runs only with DCTNET_DETECTION_BENCH=1 (a minute or
/// more on two cores), e.g. <c>DCTNET_DETECTION_BENCH=1 dotnet test tests/DctNet.Detection.Tests -c Release
/// --filter DetectionSpeedTests --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class DetectionSpeedTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("maskrcnn-r50-fpn")]
    [InlineData("fasterrcnn-r50-fpn")]
    public void Time_per_image_at_800_x_1333_on_two_threads(string name)
    {
        if (Environment.GetEnvironmentVariable("DCTNET_DETECTION_BENCH") != "1")
            return;
        using var model = DetectionModels.Create(name);
        var keys = DetectionFixtures.ModelsJson.GetProperty("keys").GetProperty(name).EnumerateArray()
            .Select(entry => (entry[0].GetString()!, entry[1].EnumerateArray().Select(s => s.GetInt64()).ToArray()));
        DetectionModels.LoadWeights(model, DeterministicDetectionWeights.For(keys), "deterministic weights");
        var time = DetectionBenchmark.TimePerImage(model, runs: 2);
        output.WriteLine($"{time.TotalSeconds:F3} s/image ({name}, 2 threads)");
        Assert.True(time > TimeSpan.Zero);
    }
}

using BenchmarkDotNet.Running;
using DctNet.Benchmarks;

// "agreement ..." compares decoder candidates with OpenCV's pixels, "jpeg-routes ..." the JPEG coefficient routes
// with each other; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "agreement")
    return AgreementReport.Run(args[1..]);
if (args.Length > 0 && args[0] == "jpeg-routes")
    return JpegRoutesReport.Run(args[1..]);

if (SampleImages.FindFolder() is null)
{
    // Every suite measures real ImageNet images; without them there is nothing to run.
    Console.WriteLine(SampleImages.MissingMessage);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

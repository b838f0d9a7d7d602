using System.Globalization;
using System.Text;
using DctNet.Analysis;
using DctNet.Demo;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Platform;
using DctNet.Training;

namespace DctNet.Cli.Demo;

/// <summary>The demo's report.md: what was done, the table, the figures and the regular CLI commands that redo each part.</summary>
internal static class DemoReport
{
    /// <param name="inputSpeeds">Images/s of each DCT pipeline's input alone, one thread.</param>
    public static string Markdown(DemoRun demo, IReadOnlyList<DemoModelResult> results, IReadOnlyDictionary<DctPipeline, double> inputSpeeds,
        GateSelection selection, ChannelSubset subset, TimeSpan elapsed)
    {
        var plan = demo.Plan;
        var size = plan.Dataset;
        int classes = SyntheticImages.Classes.Count;
        var text = new StringBuilder();
        // One line from parts, each formatted with the invariant culture (a '+' between interpolated strings would not be).
        void Line(params FormattableString[] parts)
        {
            foreach (var part in parts)
                text.Append(part.ToString(CultureInfo.InvariantCulture));
            text.Append('\n');
        }

        Line($"# DctNet demo");
        Line();
        Line($"`dctnet demo --out {demo.Output} --seed {plan.Seed} --threads {plan.Threads}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: ",
            $"{elapsed.TotalMinutes:0.0} minutes ({elapsed.TotalSeconds:0} s) from the first image to this report, {plan.Threads} threads on {Environment.ProcessorCount} cores, ",
            $"TorchSharp with libtorch {TorchSharp.torch.__version__}, CPU.");
        Line();
        Line($"Host: {HostProcessor.ThisHost}. The accuracies repeat to the digit on one host; another processor's kernels add in another ",
            $"order, and over {plan.Epochs} epochs of training that moved them by 1 to 11 points between the two hosts measured (see the README).");
        Line();
        Line($"## What was done");
        Line();
        Line($"1. **Dataset** (`{DemoRun.DataFolder}/`): {size.TrainPerClass * classes} training and {size.ValPerClass * classes} validation JPEGs ",
            $"({size.ImageSide}x{size.ImageSide}, quality {SyntheticImages.JpegQuality}) in {classes} classes, drawn from seed {plan.Seed} by `DctNet.Demo.SyntheticImages`. ",
            $"Colours, phases, periods, orientations, positions and noise are random in every class; what decides the class is where the energy sits in frequency:");
        Line($"   `blobs` - soft blobs, only the lowest frequencies; `colour-stripes` - stripes of one luma in two colours, so only Cb and Cr carry them; ",
            $"`horizontal-stripes` and `vertical-stripes` - luma stripes within 20 degrees of the axis (periods of 5 to 10 pixels), under half-transparent blobs. ",
            $"`{DemoRun.DataFolder}/{DemoRun.StatsFile}` holds the DCT input statistics of the training images, which the DCT models normalize with.");
        Line($"2. **Four models of one family and budget**, trained from scratch in `{DemoRun.RunsFolder}/` for {plan.Epochs} epochs each: SGD (momentum 0.9), ",
            $"batch {plan.BatchSize}, learning rate {plan.LearningRate} with {plan.WarmupEpochs} warm-up epoch(s) and a cosine decay, random-resized crops and flips. ",
            $"ResNet-18 on RGB at {plan.RgbCrop}x{plan.RgbCrop} (the images downscaled by 2) and ResNet-18-DCT with layer2 stride 2 on the DCT of the whole ",
            $"{plan.DctCrop}x{plan.DctCrop} image ({plan.DctCrop / 8}x{plan.DctCrop / 8} blocks) have the same feature maps from layer1 on, so the same cost: ",
            $"the paper's point is that the frequency model sees the image at twice the resolution for it. ",
            $"The gated model is the DCT network on all 192 channels behind the input gate, with a penalty of {plan.GateLambda} per channel on ",
            $"and a learning rate of {plan.GatedLearningRate} (at the others' rate the gate only thins all channels alike in so few epochs). ",
            $"`{DemoRun.JpegModelName}` is DCT-24 again on the JPEG pipeline: the coefficients the JPEG files already hold, dequantized, with no decode or ",
            $"re-encode, its windows and flips on the files' block grid, normalized with `{DemoRun.DataFolder}/{DemoRun.JpegStatsFile}`.");
        Line($"3. **Gate selection** (`{DemoRun.AnalysisFolder}/`): how often the gate keeps each channel over the validation images ",
            $"(`{GateSelection.SelectionFile}`, `{GateSelection.HeatmapFile}`), and the {plan.SubsetChannels} most selected channels as a subset file (`{GateSelection.SubsetFile}`) that `--channels` takes.");
        Line();

        Line($"## Results");
        Line();
        Line($"| model | network | input | channels | MMAC/image | parameters | best val top-1 | train images/s | inference images/s |");
        Line($"|---|---|---|---|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Line($"| {r.Name} | `{r.Model}` | {r.Input} | {r.Channels} | {r.MacsPerImage / 1e6:0.0} | {r.Parameters:N0} | {r.BestValTop1:0.0}% | ",
                $"{r.TrainImagesPerSecond:0.0} | {r.InferenceImagesPerSecond:0.0} |");
        }
        Line();
        Line($"Chance is {100.0 / classes:0}%. MACs: Conv2d and Linear multiply-accumulates for one image (the gated model's include all 192 input channels: ",
            $"the gate zeroes channels, it does not skip them). Train images/s: the median over the epochs of `metrics.jsonl` (loading, augmentation, forward, ",
            $"backward and update on {plan.Threads} threads). Inference images/s: the network alone on random input of its shape, batches of {plan.InferenceBatchSize}, ",
            $"BatchNorms folded, best of 20 after 2 warm-up passes (`dctnet bench model`'s protocol).");
        Line();
        var perComponent = Enumerable.Range(0, 3).Select(c => selection.Frequencies.Skip(c * ChannelSubset.ChannelsPerComponent).Take(ChannelSubset.ChannelsPerComponent).Sum()).ToArray();
        Line($"The gated model keeps **{selection.Frequencies.Sum():0.0} of {ChannelSubset.TotalChannels}** channels on per validation image on average ",
            $"(Y {perComponent[0]:0.0}, Cb {perComponent[1]:0.0}, Cr {perComponent[2]:0.0}). Its {plan.SubsetChannels} most selected channels ",
            $"(`{DemoRun.AnalysisFolder}/{GateSelection.SubsetFile}`, k = 8v + u): Y [{string.Join(", ", subset.Y)}], Cb [{string.Join(", ", subset.Cb)}], Cr [{string.Join(", ", subset.Cr)}].");
        Line();

        var exact = results.Single(r => r.Name == "dct24");
        var jpeg = results.Single(r => r.Name == DemoRun.JpegModelName);
        Line($"## The two DCT pipelines");
        Line();
        Line($"| pipeline | best val top-1 | input images/s (1 thread) | train images/s |");
        Line($"|---|---:|---:|---:|");
        Line($"| exact (decode, re-encode at quality 100) | {exact.BestValTop1:0.0}% | {inputSpeeds[DctPipeline.Exact]:0} | {exact.TrainImagesPerSecond:0.0} |");
        Line($"| jpeg (the files' own coefficients) | {jpeg.BestValTop1:0.0}% | {inputSpeeds[DctPipeline.Jpeg]:0} | {jpeg.TrainImagesPerSecond:0.0} |");
        Line();
        Line($"Input images/s: each validation file read and turned into DCT-24's normalized input on one thread, best of 3 passes ",
            $"({inputSpeeds[DctPipeline.Jpeg] / inputSpeeds[DctPipeline.Exact]:0.0}x for the JPEG pipeline); `dctnet bench transform --pipeline exact|jpeg` ",
            $"measures the same with the .npy written. The demo's images are {plan.DctCrop}x{plan.DctCrop}, so both pipelines see the whole image and ",
            $"differ only in where the coefficients come from: the files' quality-{SyntheticImages.JpegQuality} quantization and 4:2:0 chroma replicated in the ",
            $"DCT domain, against a quality-100 re-encode of the decoded pixels.");
        Line();
        Line($"## Training curves");
        Line();
        foreach (var r in results)
        {
            Line($"### {r.Name}: `{r.Model}`, {r.Channels}");
            Line();
            Line($"![{r.Name} training curves]({DemoRun.RunsFolder}/{r.Name}/{RunLedger.CurvesFile})");
            Line();
        }
        Line($"## Gate selection");
        Line();
        Line($"![selection frequency per channel]({DemoRun.AnalysisFolder}/{GateSelection.HeatmapFile})");
        Line();
        Line($"Each cell: the fraction of validation images for which the gate kept that channel (u across, v down, DC at the top left).");
        Line();

        Line($"## Doing it again with the regular commands");
        Line();
        Line($"The dataset comes from `dctnet demo` alone (`{demo.Output}/{DemoRun.DataFolder}` is a plain ImageFolder); everything after it, into new folders:");
        Line();
        Line($"```sh");
        string data = Path.Combine(demo.Output, DemoRun.DataFolder);
        Line($"dctnet stats --data {Path.Combine(data, SyntheticImages.TrainFolder)} --resize {plan.DctCrop} --crop {plan.DctCrop} --out {DemoRun.StatsFile}");
        Line($"dctnet stats --data {Path.Combine(data, SyntheticImages.TrainFolder)} --pipeline jpeg --crop {plan.DctCrop} --out {DemoRun.JpegStatsFile}");
        foreach (var model in demo.Models)
            Line($"dctnet train {TrainArguments(model.Options)} --out {DemoRun.RunsFolder}/{model.Name}");
        Line($"dctnet analyze {DemoRun.RunsFolder}/{demo.Models.Single(m => m.Options.Gate).Name} --out {DemoRun.AnalysisFolder} --export-subset {plan.SubsetChannels} --seed {plan.Seed}");
        Line($"dctnet eval --model resnet18-dct-s2 --weights {DemoRun.RunsFolder}/dct24 --data {Path.Combine(data, SyntheticImages.ValFolder)}");
        Line($"```");
        return text.ToString();
    }

    /// <summary>The train options that differ from the CLI's defaults, statistics from the current folder.</summary>
    private static string TrainArguments(TrainingOptions options)
    {
        var parts = new List<string> { $"--model {options.Model}" };
        if (options.Channels is { } channels)
            parts.Add($"--channels {channels}");
        if (options.Gate)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"--gate --gate-lambda {options.GateLambda}"));
        parts.Add($"--data {options.Data} --crop {options.Crop} --resize {options.Resize}");
        if (options.Stats is not null)
            parts.Add($"--stats {Path.GetFileName(options.Stats)}");
        if (options.Pipeline is { } pipeline)
            parts.Add($"--pipeline {pipeline}");
        parts.Add(string.Create(CultureInfo.InvariantCulture,
            $"--epochs {options.Epochs} --batch-size {options.BatchSize} --lr {options.LearningRate} --warmup-epochs {options.WarmupEpochs} --seed {options.Seed} --threads {options.Threads}"));
        return string.Join(' ', parts);
    }
}

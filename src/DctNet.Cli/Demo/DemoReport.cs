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
    /// <summary>A channel ranks in a map's top quarter at this rank or better (48 of 192).</summary>
    public const int TopQuarter = ChannelSubset.TotalChannels / 4;

    /// <param name="inputSpeeds">Images/s of each DCT pipeline's input alone, one thread.</param>
    public static string Markdown(DemoRun demo, IReadOnlyList<DemoModelResult> results, IReadOnlyDictionary<DctPipeline, double> inputSpeeds,
        GateSelection selection, ChannelSubset subset, IReadOnlyDictionary<string, SpectralSensitivity> sensitivities, TimeSpan elapsed)
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
            $"({size.ImageSide}x{size.ImageSide}, quality {SyntheticImages.JpegQuality}, chroma at full resolution) in {classes} classes, drawn from seed {plan.Seed} by `DctNet.Demo.SyntheticImages`. ",
            $"Colours, signs, periods, orientations, positions and noise are random in every class; what decides the class is where the energy sits in frequency:");
        Line($"   `blobs` - soft blobs, only the lowest frequencies; `colour-stripes` - horizontal or vertical stripes of one luma in two colours, swinging along Cb (blue-yellow) or along Cr (red-green), so only the chroma carries them; ",
            $"`horizontal-stripes` and `vertical-stripes` - luma stripes with a period of 16 or 5.3 pixels; blobs over the stripes too. ",
            $"Every stripe lies on the 8x8 block grid, so that it sits in exactly one DCT channel (below). ",
            $"`{DemoRun.DataFolder}/{DemoRun.StatsFile}` holds the DCT input statistics of the training images, which the DCT models normalize with.");
        Line($"2. **Four models of one family and budget**, trained from scratch in `{DemoRun.RunsFolder}/` for {plan.Epochs} epochs each ({plan.GatedEpochs} for the gated model): ",
            $"SGD (momentum 0.9), batch {plan.BatchSize}, learning rate {plan.LearningRate} with {plan.WarmupEpochs} warm-up epoch(s) and a cosine decay, ",
            $"{(plan.Augment ? "random-resized crops and flips" : "on the whole images (random-resized crops would rescale the stripes to frequencies that do not define the classes)")}. ",
            $"ResNet-18 on RGB at {plan.RgbCrop}x{plan.RgbCrop} (the images downscaled by 2) and ResNet-18-DCT with layer2 stride 2 on the DCT of the whole ",
            $"{plan.DctCrop}x{plan.DctCrop} image ({plan.DctCrop / 8}x{plan.DctCrop / 8} blocks) have the same feature maps from layer1 on, so the same cost: ",
            $"the paper's point is that the frequency model sees the image at twice the resolution for it. ",
            $"The gated model is the DCT network on all 192 channels behind the input gate, trained with the targeted gate recipe: every channel on at ",
            $"first; after {plan.GateRecipe.PenaltyWarmupEpochs} epochs the channels allowed fall from 192 to {plan.GateRecipe.TargetChannels} over {plan.GateRecipe.PruningEpochs} epochs, ",
            $"each expected channel on above them costing {plan.GateLambda}; the gate learns at its own rate of {plan.GateRecipe.LearningRate}, with a temperature ",
            $"annealed from {plan.GateRecipe.InitialTemperature} to {plan.GateRecipe.FinalTemperature}; after the pruning its logits are sharpened {plan.GateRecipe.FinalSharpness}x ",
            $"in equal steps, so that each channel ends kept for nearly all images or nearly none. ",
            $"`{DemoRun.JpegModelName}` is DCT-24 again on the JPEG pipeline: the coefficients the JPEG files already hold, dequantized, with no decode or ",
            $"re-encode, its windows and flips on the files' block grid, normalized with `{DemoRun.DataFolder}/{DemoRun.JpegStatsFile}`.");
        Line($"3. **Gate selection** (`{DemoRun.AnalysisFolder}/`): how often the gate keeps each channel over the validation images ",
            $"(`{GateSelection.SelectionFile}`, `{GateSelection.HeatmapFile}`), and the {plan.SubsetChannels} most selected channels as a subset file (`{GateSelection.SubsetFile}`) that `--channels` takes.");
        Line($"4. **Spectral sensitivity** (`{DemoRun.AnalysisFolder}/{DemoRun.SensitivityFolder("NAME")}/`): the validation top-1 lost when each input channel of ",
            $"DCT-24 and of the gated model is replaced by its mean, one channel at a time (`dctnet analyze --sensitivity`).");
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
            $"differ only in where the coefficients come from: the files' quality-{SyntheticImages.JpegQuality} quantization, ",
            $"against a quality-100 re-encode of the decoded pixels.");
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
        WhatTheModelsRelyOn(Line, selection, sensitivities);

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
        foreach (string name in DemoRun.SensitivityModels)
            Line($"dctnet analyze {DemoRun.RunsFolder}/{name} --sensitivity --out {DemoRun.AnalysisFolder}/{DemoRun.SensitivityFolder(name)} --seed {plan.Seed}");
        Line($"dctnet eval --model resnet18-dct-s2 --weights {DemoRun.RunsFolder}/dct24 --data {Path.Combine(data, SyntheticImages.ValFolder)}");
        Line($"```");
        return text.ToString();
    }

    /// <summary>
    /// The heat maps against the classes' defining channels (<see cref="SyntheticImages.DefiningChannels"/>): each channel's
    /// rank in each map, how many rank in the top quarter, and the low against high frequencies and Y against chroma.
    /// </summary>
    private static void WhatTheModelsRelyOn(Action<FormattableString[]> line, GateSelection selection, IReadOnlyDictionary<string, SpectralSensitivity> sensitivities)
    {
        void Line(params FormattableString[] parts) => line(parts);
        var gated = sensitivities["gated"];
        var dct24 = sensitivities["dct24"];
        var maps = new (string Name, int[] Ranks)[] { ("gate selection", selection.Ranks()), ("gated model's sensitivity", gated.Ranks()), ("DCT-24's sensitivity", dct24.Ranks()) };
        var defining = SyntheticImages.Classes.Select(c => (c.Folder, Channels: SyntheticImages.DefiningChannels(c.Class))).Where(c => c.Channels.Count > 0).ToList();
        int total = defining.Sum(c => c.Channels.Count);

        Line($"## Which frequencies the models rely on");
        Line();
        Line($"![gate selection]({DemoRun.AnalysisFolder}/{GateSelection.HeatmapFile})");
        Line();
        Line($"![sensitivity of the gated model]({DemoRun.AnalysisFolder}/{DemoRun.SensitivityFolder("gated")}/{SpectralSensitivity.HeatmapFile})");
        Line();
        Line($"![sensitivity of DCT-24]({DemoRun.AnalysisFolder}/{DemoRun.SensitivityFolder("dct24")}/{SpectralSensitivity.HeatmapFile})");
        Line();
        Line($"Selection: the fraction of validation images for which the gate kept each channel (u across, v down, DC at the top left). ",
            $"Sensitivity: the top-1 points lost when that channel alone is replaced by its mean (grey: a channel the model does not take).");
        Line();
        Line($"**The classes' channels, by construction** (`SyntheticImages.DefiningChannels`): a stripe of period 16/k pixels drawn on the block grid is, ",
            $"in every 8x8 block, the DCT's own basis function of index k, so it sits in that one channel and in no other. Luma stripes at k = 1 or 3 ",
            $"(half the images each): Y (0, k) for horizontal stripes, Y (k, 0) for vertical ones; colour stripes at k = 1 in Cb or in Cr (half the images each): ",
            $"(0, 1) horizontal, (1, 0) vertical; blobs are the class without stripes. Each channel below is the only carrier of some images, so a model ",
            $"that drops it loses them. Each map's rank of each channel (1 = highest; the selection orders equal frequencies by the gate's keep probability, ",
            $"the sensitivity equal drops by the loss increase; channels equal in both rank last among them):");
        Line();
        Line($"| class | channel | {string.Join(" | ", maps.Select(m => m.Name))} |");
        Line($"|---|---|{string.Concat(maps.Select(_ => "---:|"))}");
        foreach (var (folder, channels) in defining)
        {
            foreach (int channel in channels)
                Line($"| {folder} | {ChannelName(channel)} | {string.Join(" | ", maps.Select(m => m.Ranks[channel]))} |");
        }
        var inTopQuarter = maps.Select(m => defining.Sum(c => c.Channels.Count(channel => m.Ranks[channel] <= TopQuarter))).ToArray();
        Line($"| **in the top quarter (rank {TopQuarter} or better)** | | {string.Join(" | ", inTopQuarter.Select(n => $"**{n} of {total}**"))} |");
        Line();
        Line($"DCT-24's ranks only order its own 24 channels, which hold every channel above, so they say which of them it leans on; ",
            $"the gate's selection and the gated model's sensitivity rank all 192.");
        Line();
        foreach (var (name, measured) in new[] { ("DCT-24", dct24), ("the gated model", gated) })
        {
            var (low, high) = measured.LowAndHighBands();
            var drops = measured.Top1DropPerChannel();
            double Component(int c) => drops.Skip(c * ChannelSubset.ChannelsPerComponent).Take(ChannelSubset.ChannelsPerComponent)
                .Where(d => !double.IsNaN(d)).DefaultIfEmpty(double.NaN).Average();
            Line($"- {name}: top-1 {measured.BaselineTop1:0.0}% as it is; mean points lost per channel in bands u + v < 4: {low:0.00}, ",
                $"u + v >= 4: {high:0.00}; in Y: {Component(0):0.00}, Cb: {Component(1):0.00}, Cr: {Component(2):0.00}.");
        }
        Line();
    }

    private static string ChannelName(int channel)
    {
        int k = channel % ChannelSubset.ChannelsPerComponent;
        return string.Create(CultureInfo.InvariantCulture, $"{ChannelSubset.ChannelName(channel)} (u {k % 8}, v {k / 8})");
    }

    /// <summary>The train options that differ from the CLI's defaults, statistics from the current folder.</summary>
    private static string TrainArguments(TrainingOptions options)
    {
        var parts = new List<string> { $"--model {options.Model}" };
        if (options.Channels is { } channels)
            parts.Add($"--channels {channels}");
        if (options is { Gate: true, GateRecipe: { } recipe })
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"--gate --gate-lambda {options.GateLambda} --gate-target {recipe.TargetChannels} --gate-lr {recipe.LearningRate} --gate-temperature {recipe.InitialTemperature} --gate-final-temperature {recipe.FinalTemperature} --gate-penalty-warmup {recipe.PenaltyWarmupEpochs} --gate-pruning-epochs {recipe.PruningEpochs} --gate-sharpness {recipe.FinalSharpness}"));
        }
        parts.Add($"--data {options.Data} --crop {options.Crop} --resize {options.Resize}");
        if (options.Stats is not null)
            parts.Add($"--stats {Path.GetFileName(options.Stats)}");
        if (options.Pipeline is { } pipeline)
            parts.Add($"--pipeline {pipeline}");
        parts.Add(string.Create(CultureInfo.InvariantCulture,
            $"--epochs {options.Epochs} --batch-size {options.BatchSize} --lr {options.LearningRate} --warmup-epochs {options.WarmupEpochs} --seed {options.Seed} --threads {options.Threads}"));
        if (!options.Augment)
            parts.Add("--no-augmentation");
        return string.Join(' ', parts);
    }
}

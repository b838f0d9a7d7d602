using System.CommandLine;

namespace DctNet.Cli.Tests.Infrastructure;

/// <summary>
/// Issue 11, class 5: absurd option values are usage errors (exit 2, one line naming the option) decided when the
/// command line is parsed, so nothing is read, allocated or written first.
/// </summary>
public class OptionRangeTests
{
    /// <summary>Options whose every value is meaningful: seeds.</summary>
    private static readonly HashSet<string> Unbounded = ["--seed"];

    /// <summary>Every command that runs (not only groups), with its path and its options.</summary>
    private static IEnumerable<(string[] Path, Command Command)> Commands()
    {
        var root = DctNetCli.CreateRootCommand(new CliContext(TextWriter.Null, TextWriter.Null, interactive: false, CancellationToken.None));
        var pending = new Stack<(string[] Path, Command Command)>(root.Subcommands.Select(c => (new[] { c.Name }, c)));
        while (pending.TryPop(out var next))
        {
            yield return next;
            foreach (var subcommand in next.Command.Subcommands)
                pending.Push(([.. next.Path, subcommand.Name], subcommand));
        }
    }

    private static bool IsNumeric(Type type) => (Nullable.GetUnderlyingType(type) ?? type) is var t
        && (t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(ulong));

    public static TheoryData<string, string> NumericOptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var (path, command) in Commands())
        {
            foreach (var option in command.Options.Where(o => IsNumeric(o.ValueType) && !Unbounded.Contains(o.Name)))
                data.Add(string.Join(' ', path), option.Name);
        }
        return data;
    }

    public static TheoryData<string, string> StringOptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var (path, command) in Commands())
        {
            foreach (var option in command.Options.Where(o => o.ValueType == typeof(string)))
                data.Add(string.Join(' ', path), option.Name);
        }
        return data;
    }

    [Fact]
    public void Only_seeds_take_every_number()
    {
        var withoutRange = Commands().SelectMany(c => c.Command.Options.Where(o => IsNumeric(o.ValueType) && o.Validators.Count == 0).Select(o => $"{string.Join(' ', c.Path)} {o.Name}"));
        Assert.All(withoutRange, name => Assert.EndsWith(" --seed", name));
        Assert.True(NumericOptions().Count > 40, "the walk found the commands' numeric options");
    }

    [Theory]
    [MemberData(nameof(NumericOptions))]
    public void Every_numeric_option_refuses_a_value_out_of_its_range_by_name(string command, string option)
    {
        using var harness = new CliHarness();
        var declared = Commands().Single(c => string.Join(' ', c.Path) == command).Command.Options.Single(o => o.Name == option);
        // No option of dctnet but the seeds takes a negative whole number, and none a NaN.
        string absurd = (Nullable.GetUnderlyingType(declared.ValueType) ?? declared.ValueType) == typeof(double) ? "nan" : "-1";

        var result = CliHarness.Run([.. command.Split(' '), option, absurd]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{option} must be", Assert.Single(result.ErrorLines));
        Assert.Empty(result.Out);
        Assert.Empty(CliHarness.FilesBelow(harness.Temp));
    }

    [Theory]
    [MemberData(nameof(StringOptions))]
    public void Every_string_option_refuses_an_empty_string_by_name(string command, string option)
    {
        var result = CliHarness.Run([.. command.Split(' '), option, ""]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{option} is an empty string", Assert.Single(result.ErrorLines));
    }

    [Theory]
    [InlineData("--threads 100000", "--threads must be from 1 to 1024, got 100000.")]
    [InlineData("--crop 40000", "--crop must be from 8 to 4096, got 40000.")]
    [InlineData("--crop 2147483640", "--crop must be from 8 to 4096, got 2147483640.")]
    [InlineData("--resize 2147483647", "--resize must be from 0 to 8192, got 2147483647.")]
    [InlineData("--max-pixels 0", "--max-pixels must be from 1 to 536870897, got 0.")]
    [InlineData("--max-pixels 9223372036854775807", "--max-pixels must be from 1 to 536870897, got 9223372036854775807.")]
    [InlineData("--out", "--out is an empty string.")]
    public void The_issues_absurd_sizes_are_usage_errors_and_nothing_is_written(string options, string message)
    {
        using var harness = new CliHarness();
        string[] args = ["transform", CliHarness.PathOfImage("jpeg_420.jpg"), .. options.Split(' ')];
        if (options == "--out")
            args = [.. args, ""];
        else
            args = [.. args, "--out", harness.PathIn("out.npy")];

        var result = CliHarness.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {message} (see 'dctnet transform --help')", Assert.Single(result.ErrorLines));
        Assert.Empty(CliHarness.FilesBelow(harness.Temp));
    }

    [Theory]
    [InlineData("train --model resnet18-dct-s2 --data d --lr Infinity", "--lr must be a finite number > 0, got Infinity.")]
    [InlineData("train --model resnet18-dct-s2 --data d --momentum 1", "--momentum must be a number in [0, 1), got 1.")]
    [InlineData("train --model resnet18-dct-s2 --data d --label-smoothing -0.1", "--label-smoothing must be a number in [0, 1), got -0.1.")]
    [InlineData("train --model resnet18-dct-s2 --data d --epochs 0", "--epochs must be from 1 to 10000, got 0.")]
    [InlineData("train-det --model maskrcnn-r50-fpn --rois-per-image 3", "--rois-per-image must be from 4 to 4096, got 3.")]
    [InlineData("train-det --model maskrcnn-r50-fpn --trainable-layers 6", "--trainable-layers must be from 0 to 5, got 6.")]
    [InlineData("train-det --model maskrcnn-r50-fpn --clip-grad -Infinity", "--clip-grad must be a finite number >= 0, got -Infinity.")]
    [InlineData("detect --model maskrcnn-r50-fpn --weights w --out o --score 1.5 a.jpg", "--score must be a number in [0, 1], got 1.5.")]
    [InlineData("bench model --model resnet50-dct --batch-size 100000", "--batch-size must be from 1 to 1024, got 100000.")]
    [InlineData("bench detect --model maskrcnn-r50-fpn --height 100000", "--height must be from 1 to 4096, got 100000.")]
    [InlineData("info --model resnet50-dct --classes 100000", "--classes must be from 1 to 32768, got 100000.")]
    [InlineData("analyze run --out o --export-subset 193", "--export-subset must be from 1 to 192, got 193.")]
    [InlineData("predict --model resnet50-dct --weights w --device bogus a.jpg", "--device: device 'bogus' is not one of cpu, cuda, cuda:N.")]
    public void Ranges_are_checked_where_the_options_are_declared(string args, string message)
    {
        var result = CliHarness.Run(args.Split(' '));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {message}", Assert.Single(result.ErrorLines));
    }

    [Theory]
    [InlineData("stats --data d --out {dir}", "--out {dir}: a folder; it names the file to write.")]
    [InlineData("coco-eval --gt g.json --dt d.json --json {dir}", "--json {dir}: a folder; it names the file to write.")]
    [InlineData("convert --model resnet50 --weights w.pth --out {dir}", "--out {dir}: a folder; it names the file to write.")]
    [InlineData("predict --model resnet50 --weights w.pth --logits {dir} a.jpg", "--logits {dir}: a folder; it names the file to write.")]
    [InlineData("detect --model maskrcnn-r50-fpn --weights w --out {file} a.jpg", "--out {file}: a file; it names the folder to write into.")]
    [InlineData("train --model resnet18-dct-s2 --data d --out {file}", "--out {file}: a file; it names the folder to write into.")]
    public void An_output_of_the_wrong_kind_is_refused_before_any_work(string args, string message)
    {
        using var harness = new CliHarness();
        string folder = Directory.CreateDirectory(harness.PathIn("existing")).FullName;
        string file = harness.Write("existing.txt", [1]);
        string Fill(string text) => text.Replace("{dir}", folder, StringComparison.Ordinal).Replace("{file}", file, StringComparison.Ordinal);

        var result = CliHarness.Run(Fill(args).Split(' '));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {Fill(message)}", Assert.Single(result.ErrorLines));
        Assert.Equal(["existing.txt"], CliHarness.FilesBelow(harness.Temp));
    }

    [Fact]
    public void A_one_class_dataset_is_refused_before_a_run_directory_is_made()
    {
        using var harness = new CliHarness();
        harness.CopyImage("jpeg_420.jpg", "data/train/ants/a.jpg");
        harness.CopyImage("jpeg_420.jpg", "data/val/ants/a.jpg");

        var result = CliHarness.Run("train", "--model", "resnet18-dct-s2", "--data", harness.PathIn("data"), "--out", harness.PathIn("run"), "--epochs", "1");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {harness.PathIn("data", "train")}: one class folder (ants); a classifier learns nothing from one class", Assert.Single(result.ErrorLines));
        Assert.False(Directory.Exists(harness.PathIn("run")));
    }
}

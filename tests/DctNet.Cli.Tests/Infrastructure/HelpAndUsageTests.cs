using System.CommandLine;
using System.Text.RegularExpressions;

namespace DctNet.Cli.Tests.Infrastructure;

public class HelpAndUsageTests
{
    /// <summary>The root ("") and every command and subcommand the CLI registers, named as typed ("bench transform").</summary>
    public static TheoryData<string> RegisteredCommands()
    {
        var paths = new TheoryData<string>();
        void Walk(Command command, string path)
        {
            paths.Add(path);
            foreach (var subcommand in command.Subcommands)
                Walk(subcommand, $"{path} {subcommand.Name}".TrimStart());
        }
        Walk(RootCommand(), "");
        return paths;
    }

    [Theory]
    [MemberData(nameof(RegisteredCommands))]
    public void Every_registered_command_has_a_description_usage_and_examples_of_itself(string path)
    {
        string[] words = path.Length == 0 ? [] : path.Split(' ');
        var command = words.Aggregate(RootCommand(), (parent, name) => parent.Subcommands.Single(c => c.Name == name));
        string invocation = string.Join(' ', ["dctnet", .. words]);

        var result = CliHarness.Run([.. words, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        var sections = HelpSections(result.Out);
        var description = sections.GetValueOrDefault("Description", []);
        int examplesAt = Array.FindIndex(description, line => line.Trim() is "Example:" or "Examples:");
        Assert.True(examplesAt >= 0, $"'{invocation} --help' has no examples in its description:\n{result.Out}");
        Assert.True(description[..examplesAt].Any(line => line.Trim().Length > 0), $"'{invocation} --help' says nothing before its examples:\n{result.Out}");
        string[] examples = [.. description[(examplesAt + 1)..].Select(line => line.Trim()).TakeWhile(line => line.Length > 0)];
        // At least one example runs this command (stats' examples also show transform using what it wrote).
        Assert.Contains(examples, example => $"{example} ".StartsWith($"{invocation} ", StringComparison.Ordinal));
        // In-process the root's name is the host process's (testhost), not dctnet.
        Assert.StartsWith($"  {string.Join(' ', [RootCommand().Name, .. words])} ", sections["Usage"][0], StringComparison.Ordinal);
        Assert.All(command.Options.Where(o => !o.Hidden), o => Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{invocation} {o.Name} has no description"));
        Assert.All(command.Arguments.Where(a => !a.Hidden), a => Assert.False(string.IsNullOrWhiteSpace(a.Description), $"{invocation} <{a.Name}> has no description"));
        // A command with subcommands lists each of them: its name (and arguments), then its description's first sentence.
        Assert.Equal(command.Subcommands.Count > 0, sections.ContainsKey("Commands"));
        foreach (var subcommand in command.Subcommands)
            Assert.Contains(sections.GetValueOrDefault("Commands", []), line => Regex.IsMatch(line, $@"^  {Regex.Escape(subcommand.Name)}( \S+)*\s{{2,}}\S"));
    }

    [Fact]
    public void Root_help_lists_the_commands()
    {
        var result = CliHarness.Run("--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("transform", result.Out);
        Assert.Contains("bench", result.Out);
        foreach (string command in new[] { "predict", "eval", "convert" })
            Assert.Contains($"  dctnet {command} --model", result.Out);
        Assert.Equal("", result.Error);
    }

    [Theory]
    [InlineData("transform", "--channels", "[default: 24]")]
    [InlineData("transform", "--stats", "--raw")]
    [InlineData("transform", "--threads", "--max-pixels")]
    [InlineData("bench transform", "--limit", "[default: 200]")]
    [InlineData("bench", "transform", "Example")]
    [InlineData("predict", "--input-tensor", "--logits")]
    [InlineData("predict", "--topk", "[default: 5]")]
    [InlineData("eval", "--data", "--json")]
    [InlineData("convert", "--out", "--release-layout")]
    public void Every_command_has_help_with_options_defaults_and_examples(string command, string expected1, string expected2)
    {
        var result = CliHarness.Run([.. command.Split(' '), "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(expected1, result.Out);
        Assert.Contains(expected2, result.Out);
        Assert.Contains("Example", result.Out);
    }

    [Theory]
    [InlineData("--channels 7", "7")]
    [InlineData("--channels nope.json", "nope.json")]
    [InlineData("--raw --stats stats.json", "--raw")]
    [InlineData("--threads 0", "--threads")]
    [InlineData("--threads many", "many")]
    [InlineData("--crop 50", "50")]
    [InlineData("--geometry vgg", "vgg")]
    [InlineData("--stats missing.json", "missing.json")]
    [InlineData("--bogus", "--bogus")]
    public void Bad_options_give_one_line_and_exit_code_2(string options, string mentioned)
    {
        string image = Path.Combine(CliHarness.Images, "jpeg_420.jpg");
        var result = CliHarness.Run(["transform", image, "--out", Path.Combine(Path.GetTempPath(), "never-written.npy"), .. options.Split(' ')]);

        AssertUsageError(result, mentioned);
    }

    [Fact]
    public void Missing_input_is_a_usage_error()
    {
        using var harness = new CliHarness();
        var result = CliHarness.Run("transform", harness.PathIn("no-such-image.jpg"), "--out", harness.PathIn("out.npy"));

        AssertUsageError(result, "no-such-image.jpg");
        Assert.Empty(CliHarness.FilesBelow(harness.Temp));
    }

    [Theory]
    [InlineData("transform")]
    [InlineData("transform image.jpg")]
    [InlineData("bench")]
    [InlineData("bench transform")]
    [InlineData("bench transform --data /no/such/folder")]
    [InlineData("frobnicate")]
    [InlineData("predict image.jpg")]
    [InlineData("predict --model resnet50 image.jpg")]
    [InlineData("eval --model resnet50 --weights w.pth")]
    [InlineData("convert --model resnet50 --weights w.pth")]
    public void Incomplete_commands_are_usage_errors(string args)
    {
        AssertUsageError(CliHarness.Run(args.Split(' ')), "error:");
    }

    private static void AssertUsageError(CliResult result, string mentioned)
    {
        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(mentioned, line);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Equal("", result.Out);
    }

    private static Command RootCommand() => DctNetCli.CreateRootCommand(new CliContext(TextWriter.Null, TextWriter.Null, interactive: false, CancellationToken.None));

    /// <summary>The help text's sections ("Description", "Usage", "Options", ...): a header line "Name:" at the margin, then its lines.</summary>
    private static Dictionary<string, string[]> HelpSections(string help)
    {
        var sections = new Dictionary<string, string[]>();
        string? name = null;
        var lines = new List<string>();
        foreach (string line in help.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.Length > 1 && line[0] != ' ' && line.EndsWith(':'))
            {
                if (name is not null)
                    sections.Add(name, [.. lines]);
                (name, lines) = (line[..^1], []);
            }
            else
            {
                lines.Add(line);
            }
        }
        if (name is not null)
            sections.Add(name, [.. lines]);
        return sections;
    }
}

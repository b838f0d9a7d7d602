using System.CommandLine;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet bench</c>: the group of throughput measurements.</summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("bench", """
            Measures throughput on real files (Stopwatch, after a warm-up).

            Example:
              dctnet bench transform --data images/ --limit 200 --threads 8
            """);
        command.Subcommands.Add(BenchTransformCommand.Create(context));
        return command;
    }
}

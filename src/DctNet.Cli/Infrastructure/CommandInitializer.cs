using System.CommandLine;

namespace DctNet.Cli;

/// <summary>Lets a command's collection initializer take a group of options, as the shared option holders give them.</summary>
internal static class CommandInitializer
{
    public static void Add(this Command command, IEnumerable<Option> options)
    {
        foreach (var option in options)
            command.Options.Add(option);
    }
}

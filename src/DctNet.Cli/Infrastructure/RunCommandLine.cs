namespace DctNet.Cli;

/// <summary>What <c>train</c> and <c>train-det</c> share around opening their run: --resume's rule and the library's refusals as usage errors.</summary>
internal static class RunCommandLine
{
    /// <summary>--resume continues with the run's own options: any other run option given on the command line is a usage error.</summary>
    public static void RefuseWithResume(System.CommandLine.ParseResult parse, IEnumerable<System.CommandLine.Option> runOptions, string optionsFile)
    {
        if (runOptions.FirstOrDefault(option => parse.GetResult(option) is { Implicit: false }) is { } extra)
            throw new UsageException($"--resume continues with the run's own options ({optionsFile}); {extra.Name} cannot change them.");
    }

    /// <summary>Options, datasets and run directories the library refuses (ArgumentException) are command-line mistakes.</summary>
    public static T Open<T>(Func<T> open)
    {
        try
        {
            return open();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(ModelOptions.WithoutParameterName(e));
        }
    }
}

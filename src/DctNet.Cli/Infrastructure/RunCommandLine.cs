using System.CommandLine;
using DctNet.Training;

namespace DctNet.Cli;

/// <summary>What <c>train</c> and <c>train-det</c> share around opening their run: --resume's rule and the library's refusals as usage errors.</summary>
internal static class RunCommandLine
{
    /// <summary>--out RUNDIR: the directory of a new run.</summary>
    public static Option<string> Output() => new Option<string>("--out") { Description = "The run directory (created; must not hold a run already).", HelpName = "RUNDIR" }.OutputFolder();

    public static Option<string> Resume() => new("--resume")
    {
        Description = "Continue the run in RUNDIR after its last complete epoch, with the options it was started with (RUNDIR/options.json).",
        HelpName = "RUNDIR",
    };

    /// <summary>The options of a new run, then --resume.</summary>
    public static void Add(Command command, IEnumerable<Option> runOptions, Option<string> resume)
    {
        foreach (var option in runOptions)
            command.Options.Add(option);
        command.Options.Add(resume);
    }

    /// <summary>
    /// Resumes the run --resume names, or starts the one the other options describe, then trains it and frees it.
    /// </summary>
    /// <param name="runOptions">The options that describe a new run: --resume continues with the run's own, so any of them given beside it is a usage error.</param>
    /// <param name="start">Makes the new run's options from the command line (its argument reads an option a new run requires) and returns what starts it.</param>
    /// <param name="train">Trains the open run; returns the exit code.</param>
    public static int Run<TRun>(ParseResult parse, Option<string> resume, IEnumerable<Option> runOptions, Func<string, TRun> resumeRun,
        Func<Func<Option<string>, string>, Func<TRun>> start, Func<TRun, int> train) where TRun : IDisposable
    {
        TRun run;
        if (parse.GetValue(resume) is { } resumed)
        {
            if (runOptions.FirstOrDefault(option => parse.GetResult(option) is { Implicit: false }) is { } extra)
                throw new UsageException($"--resume continues with the run's own options ({RunLedger.OptionsFile}); {extra.Name} cannot change them.");
            run = Open(() => resumeRun(resumed));
        }
        else
        {
            var startRun = start(option => parse.GetValue(option) ?? throw new UsageException($"{option.Name} is required (or --resume RUNDIR)."));
            run = Open(startRun);
        }
        using (run)
            return train(run);
    }

    /// <summary>Options, datasets and run directories the library refuses (ArgumentException) are command-line mistakes.</summary>
    private static T Open<T>(Func<T> open)
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

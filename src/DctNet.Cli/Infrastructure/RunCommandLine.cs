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

    /// <summary>--lr, whose default <see cref="LearningRate(ParseResult, Option{double}, Option{int}, double, int)"/> scales with --batch-size.</summary>
    public static Option<double> LearningRate(string description) => new Option<double>("--lr") { Description = description, HelpName = "X" }.PositiveFinite();

    /// <summary>The --lr given, else the recipe's <paramref name="reference"/> rate scaled linearly from its batch size to --batch-size (Goyal et al. 2017).</summary>
    public static double LearningRate(ParseResult parse, Option<double> learningRate, Option<int> batchSize, double reference, int referenceBatchSize)
        => parse.GetResult(learningRate) is { Implicit: false } ? parse.GetValue(learningRate) : reference * parse.GetValue(batchSize) / referenceBatchSize;

    public static Option<double> Momentum(double defaultValue) => PipelineOptions.Number("--momentum", "SGD momentum.", defaultValue).Within(0, 1, maxExcluded: true);

    public static Option<int> Seed(string description) => new("--seed") { Description = description, HelpName = "N", DefaultValueFactory = _ => 0 };

    /// <summary>--threads: the loader's threads and libtorch's.</summary>
    public static Option<int> Threads() => PipelineOptions.ThreadCount("Loader threads and libtorch's threads; the default is the number of cores.", Environment.ProcessorCount);

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
        return UsageException.Guard("", open);
    }
}

using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DctNet.Cli;

/// <summary>
/// A Spectre.Console progress bar (count, images/s, elapsed, ETA) on the error stream when it is a terminal;
/// nothing otherwise (the command prints a summary line at the end instead).
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Runs <paramref name="work"/> to completion, drawing <paramref name="completed"/> out of <paramref name="total"/> while it runs.</summary>
    public static void Run(CliContext context, string description, int total, Func<int> completed, Action work)
    {
        if (!context.Interactive || total == 0)
        {
            work();
            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error) });
        Exception? fault = null;
        var worker = new Thread(() =>
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                fault = e;
            }
        }) { Name = "dctnet progress work", IsBackground = true };

        console.Progress()
            .AutoClear(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new CountColumn(),
                new RateColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn())
            .Start(progress =>
            {
                var task = progress.AddTask(Markup.Escape(description), maxValue: total);
                context.SetLiveConsole(console);
                try
                {
                    worker.Start();
                    while (!worker.Join(100))
                        task.Value = completed();
                    task.Value = completed();
                    progress.Refresh();
                }
                finally
                {
                    context.SetLiveConsole(null);
                }
            });
        if (fault is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fault);
    }

    /// <summary>"123/1000".</summary>
    private sealed class CountColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
            => new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:0}/{task.MaxValue:0}"));
    }

    /// <summary>"45.6 images/s", averaged by Spectre over the last seconds.</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
            => new Text(task.Speed is { } speed ? string.Create(CultureInfo.InvariantCulture, $"{speed:0.0} images/s") : "- images/s");
    }
}

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
        => Run(context, total, () => new ProgressState(completed(), description), work, keepWhenDone: true);

    /// <summary>
    /// Runs <paramref name="work"/> to completion on a worker thread while the bar shows what <paramref name="poll"/>
    /// returns (polled ten times a second: the count done and a description that may change, e.g. a running loss).
    /// </summary>
    /// <param name="keepWhenDone">Leave the finished bar on screen; false clears it for a summary line to replace it.</param>
    public static void Run(CliContext context, int total, Func<ProgressState> poll, Action work, bool keepWhenDone)
    {
        if (!context.Interactive || total == 0)
        {
            work();
            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Terminal) });
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
            .AutoClear(!keepWhenDone)
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
                var first = poll();
                var task = progress.AddTask(Markup.Escape(first.Description), maxValue: total);
                context.SetLiveConsole(console);
                try
                {
                    worker.Start();
                    do
                    {
                        var state = poll();
                        task.Value = state.Completed;
                        task.Description = Markup.Escape(state.Description);
                    }
                    while (!worker.Join(100));
                    task.Value = poll().Completed;
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

/// <summary>What a progress bar shows at one moment: items done and the description beside the bar.</summary>
internal readonly record struct ProgressState(int Completed, string Description);

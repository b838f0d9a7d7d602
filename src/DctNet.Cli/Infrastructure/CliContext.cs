using System.Text.RegularExpressions;
using DctNet.Frequency.IO;
using Spectre.Console;

namespace DctNet.Cli;

/// <summary>Where a command writes, whether a live progress display may be drawn, and the Ctrl+C signal.</summary>
internal sealed partial class CliContext(TextWriter output, TextWriter error, bool interactive, CancellationToken cancellation)
{
    private readonly Lock _errorLock = new();
    private IAnsiConsole? _liveConsole;

    /// <summary>Results and summaries; control characters in what is written are shown escaped (see <see cref="PrintableWriter"/>).</summary>
    public TextWriter Out { get; } = new PrintableWriter(output);

    /// <summary>Errors and warnings; control characters in what is written are shown escaped (see <see cref="PrintableWriter"/>).</summary>
    public TextWriter Error { get; } = new PrintableWriter(error);

    /// <summary>The error stream as given, for the progress display's own terminal codes when <see cref="Interactive"/>.</summary>
    public TextWriter Terminal { get; } = error;

    /// <summary>True when <see cref="Error"/> is a terminal: a Spectre.Console progress bar is drawn there.</summary>
    public bool Interactive { get; } = interactive;

    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Writes <c>error: message</c> as one line (see <see cref="OneLineMessage"/>); safe to call from worker threads, also while a progress bar is live.</summary>
    public void ReportError(string message)
    {
        string line = "error: " + OneLineMessage(message);
        lock (_errorLock)
        {
            if (_liveConsole is { } console)
                console.WriteLine(FileNames.Printable(line), new Style(Color.Red));
            else
                Error.WriteLine(line);
        }
    }

    /// <summary>While a live display owns the terminal, error lines go through it so that they print above the bar.</summary>
    public void SetLiveConsole(IAnsiConsole? console)
    {
        lock (_errorLock)
            _liveConsole = console;
    }

    /// <summary>
    /// A message for an error line: the line breaks of a multi-line report (a break followed by indentation, as
    /// such reports are laid out) become spaces; any other line break, such as one inside a file name, is left for
    /// the writer to show as \n, so the name reads as it is and still cannot start a line.
    /// </summary>
    public static string OneLineMessage(string message) => IndentedLineBreak().Replace(message.Trim(), " ");

    [GeneratedRegex(@"\r?\n[ \t]+")]
    private static partial Regex IndentedLineBreak();

    /// <summary>Collapses multi-line prose (help text, the parser's messages) to one line.</summary>
    public static string OneLine(string message)
        => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

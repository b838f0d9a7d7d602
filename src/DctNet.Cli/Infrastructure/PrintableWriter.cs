using System.Text;
using DctNet.Frequency.IO;

namespace DctNet.Cli;

/// <summary>
/// The one place where text reaches the terminal: everything written is passed through <see cref="FileNames.Printable"/>,
/// and only <see cref="TextWriter.WriteLine()"/> ends a line. So a file name with a newline, a carriage return or an
/// escape sequence, wherever a message puts it, shows as \n, \r, \x1b and cannot forge an "error:" line or drive the
/// terminal.
/// </summary>
internal sealed class PrintableWriter(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    public override Encoding Encoding => inner.Encoding;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    public override void Write(char value) => inner.Write(FileNames.Printable(value.ToString()));

    public override void Write(string? value) => inner.Write(value is null ? null : FileNames.Printable(value));

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void Write(ReadOnlySpan<char> buffer) => Write(new string(buffer));

    public override void WriteLine() => inner.WriteLine();

    public override void WriteLine(string? value) => inner.WriteLine(value is null ? null : FileNames.Printable(value));

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Flush();
        base.Dispose(disposing);
    }
}

namespace DctNet.Cli;

/// <summary>The process exit codes of <c>dctnet</c>.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Processing failed (an image could not be decoded, an output could not be written).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown or invalid option, missing input.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C (128 + SIGINT).</summary>
    public const int Interrupted = 130;
}

/// <summary>A mistake in the command line, reported as one line and exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message)
{
    /// <summary>What <paramref name="read"/> returns; the library's refusal of a value the user gave (an ArgumentException) becomes a usage error after <paramref name="option"/> ("--model: ").</summary>
    public static T Guard<T>(string option, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(option + WithoutParameterName(e));
        }
    }

    /// <inheritdoc cref="Guard{T}"/>
    public static void Guard(string option, Action check) => Guard(option, () => { check(); return true; });

    /// <summary>ArgumentException appends " (Parameter 'x')", which means nothing to a command-line user.</summary>
    public static string WithoutParameterName(ArgumentException e)
        => e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
}

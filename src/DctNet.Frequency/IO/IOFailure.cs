namespace DctNet.Frequency.IO;

/// <summary>What went wrong in an <see cref="IOException"/>, for a message that names its file itself.</summary>
public static class IOFailure
{
    /// <summary>
    /// The reason alone: "No space left on device" rather than .NET's "No space left on device : '/run/.last.safetensors.123.tmp'",
    /// whose path may be a temporary file the reader never heard of.
    /// </summary>
    public static string Reason(IOException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        string message = exception.Message;
        int quoted = message.LastIndexOf(" : '", StringComparison.Ordinal);
        return quoted > 0 && message.EndsWith('\'') ? message[..quoted] : message;
    }

    private const int NoSpaceLeft = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT

    /// <summary>
    /// Whether <paramref name="exception"/>, or one it wraps, is a full disk or an exhausted quota (.NET gives the
    /// errno as an IOException's HResult on Linux): no later write can succeed either, so a run over many files stops.
    /// </summary>
    public static bool IsDiskFull(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is IOException { HResult: NoSpaceLeft or QuotaExceeded })
                return true;
        }
        return false;
    }
}

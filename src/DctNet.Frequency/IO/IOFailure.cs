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
}

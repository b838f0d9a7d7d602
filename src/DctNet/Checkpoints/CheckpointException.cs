using DctNet.Frequency.IO;

namespace DctNet.Checkpoints;

/// <summary>
/// A checkpoint file could not be read, is not safe to read, or does not fit the model. The message is
/// meant for the user as is: it starts with the file and says what is wrong, without a stack trace.
/// </summary>
public class CheckpointException : Exception
{
    public CheckpointException(string message)
        : base(message)
    {
    }

    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A checkpoint asked for something other than tensors and plain containers (a global such as os.system or
/// builtins.eval). It was refused as soon as it was named: nothing of it was constructed or run.
/// </summary>
public sealed class UnsafeCheckpointException : CheckpointException
{
    public UnsafeCheckpointException(string message)
        : base(message)
    {
    }

    public UnsafeCheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Turns the errors of reading one file into a <see cref="CheckpointException"/> that names it.</summary>
internal static class CheckpointErrors
{
    public static T Reading<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (UnsafeCheckpointException e)
        {
            throw new UnsafeCheckpointException($"{path}: {e.Message}", e);
        }
        catch (CheckpointException)
        {
            throw;
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException($"{path}: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new CheckpointException($"{path}: truncated ({e.Message})", e);
        }
        catch (Exception e) when (e is OverflowException or FormatException)
        {
            // Sizes, counts, offsets and strides come from the file; arithmetic on them is checked, so one that does
            // not fit 64 bits ends here instead of wrapping to a size that passes.
            throw new CheckpointException($"{path}: a size, count or offset in the file is out of range ({e.Message})", e);
        }
        catch (FileRefusedException e)
        {
            throw new CheckpointException(e.Message, e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointException($"{path}: {FileProbe.MissingReason(path)}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot be read ({e.Message})", e);
        }
    }
}

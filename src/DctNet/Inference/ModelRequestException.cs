namespace DctNet.Inference;

/// <summary>
/// What was asked for contradicts what it is applied to: weights saved for another model, other channels or another
/// number of classes, or a dataset with another number of classes than the model. The message names the file or
/// folder and both sides, and is meant for the user as is.
/// </summary>
public sealed class ModelRequestException : Exception
{
    public ModelRequestException(string message)
        : base(message)
    {
    }

    public ModelRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

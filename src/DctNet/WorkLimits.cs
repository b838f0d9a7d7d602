namespace DctNet;

/// <summary>
/// Bounds of the sizes a command line or a run directory's options.json asks work for: a value past them is a slip or
/// a file edited by hand, and would be honoured only to fail late (threads and batches allocate per unit).
/// </summary>
public static class WorkLimits
{
    /// <summary>Worker and libtorch threads: beyond any host's useful parallelism, and each image worker holds an image's buffers.</summary>
    public const int MaxThreads = 1024;

    /// <summary>Images per forward pass or SGD step: four times ImageNet training's usual 256.</summary>
    public const int MaxBatchSize = 1024;

    /// <summary>Epochs: ImageNet recipes train 90 to 300.</summary>
    public const int MaxEpochs = 10_000;
}

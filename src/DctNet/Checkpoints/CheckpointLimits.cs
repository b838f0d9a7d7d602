namespace DctNet.Checkpoints;

/// <summary>
/// What a checkpoint may declare before DctNet refuses to read it. A file is untrusted: what it declares decides what
/// a reader allocates, so each bound is checked before the work it would cost. Every bound is far beyond any model
/// here (ResNet-50's torch.save file, measured: 320 tensors, a 33.5 KB pickle, about 105 bytes a tensor) and keeps what
/// the file's structure can make the process hold to a few hundred megabytes, beside the model's own weights.
/// </summary>
public static class CheckpointLimits
{
    /// <summary>
    /// Tensors (safetensors entries) or storages (zip records) in one file: sixty times ResNet-50's, and no more than
    /// <see cref="MaxPickleOpcodes"/> admits (a pickled tensor takes a few dozen opcodes).
    /// </summary>
    public const int MaxTensors = 20_000;

    /// <summary>
    /// The bytes of one pickle (torch.save's data.pkl), or of a safetensors JSON header. The safetensors library
    /// allows 100 MB of header; a header of 1.65 million small entries that size took 1.96 GB to parse (host B: AMD
    /// EPYC, 2 vCPUs), and at ~100 bytes a tensor 16 MiB is enough for <see cref="MaxTensors"/>.
    /// </summary>
    public const int MaxStructureBytes = 16 << 20;

    /// <summary>
    /// The classes a checkpoint may declare, by its classifier's shape or its metadata: DctNet builds the model for
    /// them before the weights are read, so the file decides that allocation (a 1 KB file declaring two billion
    /// classes asked for 4 TB). ImageNet-21k's 21,843 is the largest label set of the published classifiers of these
    /// families; 32,768 classes make ResNet-50's classifier 268 MB.
    /// </summary>
    public const int MaxClasses = 32_768;

    /// <summary>Dimensions of one tensor: numpy's limit, as .npy files are held to it; models use at most 5.</summary>
    public const int MaxRank = Frequency.IO.Npy.MaxDimensions;

    /// <summary>
    /// The opcodes one pickle may run: each builds at most one value of a few hundred bytes (a pickle of a million
    /// nested empty lists peaks at 197 MiB resident, the whole process included, in the fuzz suite on host B).
    /// </summary>
    public const int MaxPickleOpcodes = 1_000_000;
}

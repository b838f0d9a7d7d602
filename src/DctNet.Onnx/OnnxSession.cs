using DctNet.Frequency.Channels;
using DctNet.Frequency.IO;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DctNet.Onnx;

/// <summary>
/// An exported model on ONNX Runtime's CPU engine (its own MLAS kernels, not oneDNN): batches of the
/// <see cref="ModelContract"/>'s input in, logits out. Thread-safe, as ONNX Runtime's sessions are.
/// </summary>
public sealed class OnnxSession : IDisposable
{
    private readonly InferenceSession session;
    private readonly string[] outputNames = [OnnxNames.Logits];

    private OnnxSession(InferenceSession session, string source)
    {
        this.session = session;
        Contract = ModelContract.FromMetadata(session.ModelMetadata.CustomMetadataMap, source);
        Source = source;
        RefuseGraphOtherThanContract(session, Contract, source);
    }

    /// <summary>The engine as reports name it: "ONNX Runtime 1.32.0 (CPU)".</summary>
    public static string RuntimeDescription => $"ONNX Runtime {OrtEnv.Instance().GetVersionString()} (CPU)";

    /// <summary>What the model takes and gives, from the file's metadata.</summary>
    public ModelContract Contract { get; }

    /// <summary>The file the model was read from, or a description of the bytes.</summary>
    public string Source { get; }

    /// <param name="threads">ONNX Runtime's intra-op threads (one inference uses this many cores).</param>
    /// <exception cref="OnnxFileException">The file is not an ONNX model DctNet exported, or its graph is not what its metadata says.</exception>
    /// <exception cref="FileRefusedException">The path is missing or not a regular file (a FIFO, a device).</exception>
    public static OnnxSession Load(string path, int threads = 0) => FromBytes(ReadFile(path), path, threads);

    /// <inheritdoc cref="Load"/>
    /// <param name="model">An ONNX file's bytes.</param>
    /// <param name="source">What the bytes are, for the messages.</param>
    public static OnnxSession FromBytes(byte[] model, string source, int threads = 0)
    {
        var session = CreateSession(model, source, threads);
        try
        {
            return new OnnxSession(session, source);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>An ONNX Runtime session on any ONNX model's bytes, with <see cref="Options"/>.</summary>
    /// <exception cref="OnnxFileException">ONNX Runtime cannot load the model.</exception>
    public static InferenceSession CreateSession(byte[] model, string source, int threads)
    {
        using var options = Options(threads);
        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxFileException($"{source}: ONNX Runtime cannot load it: {e.Message.Split('\n', 2)[0].Trim()}");
        }
    }

    /// <summary>The logits (batch x classes) of <paramref name="inputs"/>, batch images of <see cref="ModelContract.Shape"/>, NCHW.</summary>
    /// <param name="gumbelNoise">Gated models: batch x 192 x 2 Gumbel noise for the gate (see <see cref="OnnxNames.GumbelNoise"/>); empty for none.</param>
    public unsafe float[] Run(ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<float> gumbelNoise = default)
    {
        int[] shape = Contract.Shape;
        int length = shape[0] * shape[1] * shape[2];
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (inputs.Length != (long)batch * length)
            throw new ArgumentException($"{batch} images of {string.Join(" x ", shape)} are {(long)batch * length} floats, got {inputs.Length}.", nameof(inputs));
        const int gateChannels = ChannelSubset.TotalChannels;
        if (!gumbelNoise.IsEmpty && (!Contract.Gate || gumbelNoise.Length != (long)batch * gateChannels * 2))
            throw new ArgumentException(Contract.Gate ? $"Gumbel noise for {batch} images is {batch} x {gateChannels} x 2 floats, got {gumbelNoise.Length}." : "The model has no input gate to take Gumbel noise.", nameof(gumbelNoise));

        // ONNX Runtime reads the caller's memory in place (no copy), pinned for the run.
        fixed (float* input = inputs)
        fixed (float* noise = gumbelNoise)
        {
            using var inputValue = Wrap(input, inputs.Length, [batch, shape[0], shape[1], shape[2]]);
            using var noiseValue = gumbelNoise.IsEmpty ? null : Wrap(noise, gumbelNoise.Length, [batch, gateChannels, 2]);
            string[] names = noiseValue is null ? [OnnxNames.Input] : [OnnxNames.Input, OnnxNames.GumbelNoise];
            OrtValue[] values = noiseValue is null ? [inputValue] : [inputValue, noiseValue];
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, names, values, outputNames);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
    }

    public void Dispose() => session.Dispose();

    private static unsafe OrtValue Wrap(float* data, int length, long[] shape)
        => OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (nint)data, (long)length * sizeof(float));

    /// <summary>The largest ONNX file read: one .NET array (protobuf's own limit for a message is 2 GiB).</summary>
    public static long MaxFileBytes => Array.MaxLength;

    /// <summary>
    /// An ONNX file's bytes, read only if it is a regular file within <see cref="MaxFileBytes"/>: ONNX Runtime's own
    /// loader would block on a FIFO and read /dev/zero without end.
    /// </summary>
    /// <exception cref="FileRefusedException">The path is missing or not a regular file.</exception>
    /// <exception cref="OnnxFileException">The file is larger than an ONNX model can be.</exception>
    public static byte[] ReadFile(string path)
    {
        var (handle, size) = FileProbe.OpenRegularFile(path);
        using (handle)
        {
            if (size > MaxFileBytes)
                throw new OnnxFileException($"{path}: {size} bytes, more than an ONNX model can hold ({MaxFileBytes} bytes).");
            byte[] bytes = new byte[size];
            int read = 0;
            while (read < bytes.Length)
            {
                int count = RandomAccess.Read(handle, bytes.AsSpan(read), read);
                if (count == 0)
                    throw new OnnxFileException($"{path}: the file shrank while it was read.");
                read += count;
            }
            return bytes;
        }
    }

    /// <summary>
    /// The session settings of every DctNet run: all graph optimizations (ONNX Runtime fuses Conv with its activation
    /// and Add), one inference at a time on <paramref name="threads"/> intra-op threads (0: one per core). Warnings are not
    /// logged: a gated model's Gumbel noise is an initializer that is also a graph input on purpose (it defaults to no
    /// noise), and ONNX Runtime would print a line about that to the console on every load; errors still throw.
    /// </summary>
    public static SessionOptions Options(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        return new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
    }

    /// <summary>
    /// Refuses a file whose graph does not take and give what its metadata says: its input must be N x the contract's
    /// shape and its logits N x classes, so that a caller preparing input from the metadata feeds what the graph takes.
    /// </summary>
    private static void RefuseGraphOtherThanContract(InferenceSession session, ModelContract contract, string source)
    {
        if (!session.InputMetadata.TryGetValue(OnnxNames.Input, out var input) || !session.OutputMetadata.TryGetValue(OnnxNames.Logits, out var logits))
            throw new OnnxFileException($"{source}: the graph has no '{OnnxNames.Input}' input or no '{OnnxNames.Logits}' output.");
        int[] shape = contract.Shape;
        if (input.Dimensions.Length != 4 || input.Dimensions[1..].Where((size, i) => size != shape[i]).Any())
            throw new OnnxFileException($"{source}: the graph takes [{string.Join(", ", input.Dimensions)}], but its metadata describes N x {string.Join(" x ", shape)}.");
        if (logits.Dimensions.Length != 2 || logits.Dimensions[1] != contract.Classes)
            throw new OnnxFileException($"{source}: the graph gives [{string.Join(", ", logits.Dimensions)}] logits, but its metadata says {contract.Classes} classes.");
    }
}

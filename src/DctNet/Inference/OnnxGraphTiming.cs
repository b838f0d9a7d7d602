using DctNet.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DctNet.Inference;

/// <summary>
/// Inference time of an ONNX model on ONNX Runtime, with the session settings of DctNet's engine
/// (<see cref="OnnxSession.Options"/>) and the timing protocol of its benchmarks (<see cref="Timing"/>): one yardstick for
/// DctNet's exports and for graphs written by other exporters, e.g. torch.onnx.export's in tools/baseline/onnx_speed.py.
/// </summary>
public static class OnnxGraphTiming
{
    /// <summary>The most floats of random input made for one pass: 1 GiB.</summary>
    public const long MaxInputElements = 1L << 28;

    /// <inheritdoc cref="BestSeconds(byte[], string, int, int, int)"/>
    /// <exception cref="Frequency.IO.FileRefusedException">The path is missing or not a regular file.</exception>
    public static (double Seconds, long[] Shape) BestSeconds(string path, int batch, int threads, int passes)
        => BestSeconds(OnnxSession.ReadFile(path), path, batch, threads, passes);

    /// <summary>
    /// The best seconds of a forward pass over random float32 input of the model's first input shape, its free dimensions
    /// set to <paramref name="batch"/>.
    /// </summary>
    /// <returns>The seconds, and the input's shape.</returns>
    /// <exception cref="OnnxFileException">ONNX Runtime cannot load the model, its first input is not a float32 tensor, or
    /// it declares more than <see cref="MaxInputElements"/> floats for a batch.</exception>
    public static (double Seconds, long[] Shape) BestSeconds(byte[] model, string source, int batch, int threads, int passes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        using var session = OnnxSession.CreateSession(model, source, threads);
        var (name, input) = session.InputMetadata.First();
        if (input.ElementDataType != TensorElementType.Float || input.Dimensions.Length == 0)
            throw new OnnxFileException($"{source}: its first input '{name}' is not a float32 tensor.");
        long[] shape = [.. input.Dimensions.Select(d => d > 0 ? d : batch)];
        long elements = 1;
        foreach (long size in shape)
        {
            elements = size <= MaxInputElements ? elements * size : long.MaxValue;
            if (elements > MaxInputElements)
                throw new OnnxFileException($"{source}: input '{name}' of [{string.Join(", ", input.Dimensions)}] is more than {MaxInputElements} floats for a batch of {batch}.");
        }
        var random = new Random(0);
        float[] values = new float[elements];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        using var value = OrtValue.CreateTensorValueFromMemory(values, shape);
        using var runOptions = new RunOptions();
        string[] inputs = [name];
        string[] outputs = [session.OutputMetadata.Keys.First()];
        double seconds = Timing.BestSeconds(() =>
        {
            using var result = session.Run(runOptions, inputs, [value], outputs);
        }, passes);
        return (seconds, shape);
    }
}

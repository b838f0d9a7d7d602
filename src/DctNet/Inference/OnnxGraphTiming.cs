using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DctNet.Inference;

/// <summary>
/// Inference time of any ONNX file on ONNX Runtime, with the session settings and timing protocol of DctNet's own
/// engine (<see cref="Onnx.OnnxSession.Options"/>, <see cref="Timing"/>): the yardstick for graphs written by other
/// exporters, e.g. torch.onnx.export's in tools/baseline/onnx_speed.py.
/// </summary>
public static class OnnxGraphTiming
{
    /// <summary>The best seconds of a forward pass over random float32 input (free dimensions set to <paramref name="batch"/>).</summary>
    /// <returns>The seconds, and the input's shape.</returns>
    /// <exception cref="InvalidDataException">ONNX Runtime cannot load the file, or its first input is not a float32 tensor.</exception>
    /// <exception cref="Frequency.IO.FileRefusedException">The path is missing or not a regular file.</exception>
    public static (double Seconds, long[] Shape) BestSeconds(string path, int batch, int threads, int passes)
    {
        using var options = Onnx.OnnxSession.Options(threads);
        InferenceSession session;
        try
        {
            session = new InferenceSession(Onnx.OnnxSession.ReadFile(path), options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load it: {e.Message.Split('\n', 2)[0].Trim()}");
        }
        using (session)
        {
            var (name, input) = session.InputMetadata.First();
            if (input.ElementDataType != TensorElementType.Float || input.Dimensions.Length == 0)
                throw new InvalidDataException($"{path}: its first input '{name}' is not a float32 tensor.");
            long[] shape = [.. input.Dimensions.Select(d => d > 0 ? d : batch)];
            var random = new Random(0);
            float[] values = new float[shape.Aggregate(1L, (product, d) => product * d)];
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
}

namespace DctNet.Onnx;

/// <summary>An ONNX file that cannot be used: ONNX Runtime cannot load it, or it is not the DctNet export it must be. The message starts with the file.</summary>
public sealed class OnnxFileException(string message) : IOException(message);

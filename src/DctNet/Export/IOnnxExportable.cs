namespace DctNet.Export;

/// <summary>
/// A module that writes its own evaluation-mode forward into an ONNX graph, beside its <c>forward</c> so that the two
/// read alike: the mapping from DctNet's modules to ONNX nodes.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Adds the nodes that compute this module on <paramref name="input"/>; returns the output's name.</summary>
    string ExportOnnx(OnnxGraph graph, string input);
}

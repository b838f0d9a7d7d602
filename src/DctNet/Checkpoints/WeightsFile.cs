using DctNet.Frequency.IO;

namespace DctNet.Checkpoints;

/// <summary>Weights read from any supported file, with DctNet's metadata when the file carries it.</summary>
/// <param name="Format">"PyTorch zip", "PyTorch legacy" or "safetensors".</param>
/// <param name="FileMetadata">A safetensors file's <c>__metadata__</c> (other DctNet checkpoints, e.g. detection, keep theirs there); empty for PyTorch files.</param>
public sealed record WeightsFileContents(StateDict Weights, CheckpointMetadata? Metadata, string Format, IReadOnlyDictionary<string, string> FileMetadata);

/// <summary>Reads weights whatever the file's format: torch.save (zip or legacy) or safetensors (DctNet's own).</summary>
public static class WeightsFile
{
    /// <exception cref="CheckpointException">Unreadable, unsafe or unrecognized; the message starts with the path.</exception>
    public static WeightsFileContents Read(string path)
    {
        ReadOnlySpan<byte> head = CheckpointErrors.Reading(path, () =>
        {
            using var file = FileProbe.OpenRead(path);
            var bytes = new byte[9];
            return bytes[..file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false)];
        });
        int length = head.Length;

        // safetensors first: an 8-byte header length, then the JSON header. Its length's low byte may be 0x80, which
        // alone would look like a pickle's PROTO opcode.
        if (length == 9 && head[8] == (byte)'{')
        {
            var contents = SafeTensorsFile.ReadFile(path);
            if (!contents.Metadata.ContainsKey(DctNetCheckpoint.MetadataKey))
                return new WeightsFileContents(contents.Tensors, null, "safetensors", contents.Metadata);
            var checkpoint = DctNetCheckpoint.FromContents(path, contents);
            return new WeightsFileContents(checkpoint.Weights, checkpoint.Metadata, "safetensors", contents.Metadata);
        }
        if (head.StartsWith("PK\x03\x04"u8) || head.StartsWith([(byte)0x80]))
        {
            var contents = PyTorchCheckpoint.Read(path);
            return new WeightsFileContents(contents.StateDict, null, contents.Serialization == PyTorchSerialization.Zip ? "PyTorch zip" : "PyTorch legacy",
                new Dictionary<string, string>());
        }
        throw new CheckpointException($"{path}: not a checkpoint: neither a PyTorch file (zip or legacy) nor a safetensors file.");
    }
}

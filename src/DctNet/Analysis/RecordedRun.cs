using System.Text.Json;

namespace DctNet.Analysis;

/// <summary>
/// What a training run directory says about itself in its <c>options.json</c> (written by the trainer at the start
/// of a run): the model and the dataset, so that analysing a run needs no more than its directory.
/// </summary>
/// <param name="Model">The registry name of the model, when recorded.</param>
/// <param name="Data">The dataset root (<c>Data/train</c> and <c>Data/val</c> are ImageFolders), when recorded.</param>
public sealed record RecordedRun(string? Model, string? Data)
{
    public const string OptionsFile = "options.json";

    /// <summary>The validation ImageFolder: <c>Data/val</c>, or <c>Data</c> itself when it has no <c>val</c> folder.</summary>
    public string? ValidationData => Data is null ? null
        : Directory.Exists(Path.Combine(Data, "val")) ? Path.Combine(Data, "val")
        : Data;

    /// <summary>The record of <paramref name="weights"/> when it is a run directory with an options file; an empty one otherwise.</summary>
    /// <exception cref="InvalidDataException">The options file is not a JSON object.</exception>
    public static RecordedRun Read(string weights)
    {
        string path = Path.Combine(weights, OptionsFile);
        if (!Directory.Exists(weights) || !File.Exists(path))
            return new RecordedRun(null, null);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: expected a JSON object.");
            string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return new RecordedRun(Text("model"), Text("data"));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
    }
}

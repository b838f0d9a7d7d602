using System.Collections;

namespace DctNet.Models;

/// <summary>A definition a <see cref="Registry{T}"/> holds: a unique name and a line that says what it is.</summary>
public interface IRegisteredModel
{
    string Name { get; }
    string Description { get; }
}

/// <summary>Named definitions in a fixed order, looked up case-insensitively: the classifiers (<see cref="ModelRegistry"/>) and the detectors.</summary>
/// <param name="kind">What the definitions are, for the unknown-name message ("model", "detection model").</param>
public sealed class Registry<T>(string kind, IReadOnlyList<T> definitions) : IReadOnlyList<T>
    where T : IRegisteredModel
{
    public IEnumerable<string> Names => definitions.Select(d => d.Name);

    public int Count => definitions.Count;

    public T this[int index] => definitions[index];

    /// <summary>The definition called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such definition; the message lists the known ones, without a parameter name, so that it reads
    /// as it is after a command line's option or an options.json's path.</exception>
    public T Get(string name)
        => definitions.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
           ?? throw new ArgumentException($"Unknown {kind} '{name}'. Known {kind}s: {string.Join(", ", Names)}.");

    public IEnumerator<T> GetEnumerator() => definitions.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

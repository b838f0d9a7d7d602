using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace DctNet.Cli;

/// <summary>
/// The ranges of dctnet's numeric options, checked when the command line is parsed: a value outside its range is a
/// usage error (exit 2) naming the option, before any file is read or written. The shared limits are here with why;
/// an option's own range is declared with it.
/// </summary>
internal static class OptionRanges
{
    /// <summary>Worker and libtorch threads, as the library bounds them (a run's options.json is held to them too).</summary>
    public const int MaxThreads = DctNet.WorkLimits.MaxThreads;

    /// <summary>Images per forward pass or SGD step, as the library bounds them.</summary>
    public const int MaxBatchSize = DctNet.WorkLimits.MaxBatchSize;

    /// <summary>Classifier outputs: the bound a checkpoint may declare, given on the command line.</summary>
    public const int MaxClasses = DctNet.Checkpoints.CheckpointLimits.MaxClasses;

    /// <summary>The centre crop's side, as the geometry itself bounds it.</summary>
    public const int MaxCrop = DctNet.Frequency.Geometry.CropGeometry.MaxCrop;

    /// <summary>The resize's shorter side, as the geometry itself bounds it.</summary>
    public const int MaxResize = DctNet.Frequency.Geometry.CropGeometry.MaxResize;

    /// <summary>A detector's input side, as the detection scale itself bounds it.</summary>
    public const int MaxDetectionSide = DctNet.Detection.Modeling.InputScale.MaxEdge;

    /// <summary>Epochs, as the library bounds them.</summary>
    public const int MaxEpochs = DctNet.WorkLimits.MaxEpochs;

    /// <summary>Timed passes of a benchmark: its best settles within tens.</summary>
    public const int MaxRepetitions = 1000;

    /// <summary>Skia decodes into one .NET array of 4 bytes a pixel (RGBA), so no image can have more pixels than this.</summary>
    public static readonly long MaxPixels = Array.MaxLength / 4;

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<T> InRange<T>(this Option<T> option, T min, T max) where T : struct, INumber<T>, IMinMaxValue<T>
    {
        AddCheck<T>(option, value => value >= min && value <= max, max == T.MaxValue ? $"at least {min}" : $"from {min} to {max}");
        return option;
    }

    /// <inheritdoc cref="InRange{T}(Option{T}, T, T)"/>
    public static Option<T?> InRange<T>(this Option<T?> option, T min, T max) where T : struct, INumber<T>, IMinMaxValue<T>
    {
        AddCheck<T>(option, value => value >= min && value <= max, max == T.MaxValue ? $"at least {min}" : $"from {min} to {max}");
        return option;
    }

    /// <summary>A finite number in [min, max], or [min, max) with <paramref name="maxExcluded"/>, or (min, max] with <paramref name="minExcluded"/>.</summary>
    public static Option<double> Within(this Option<double> option, double min, double max, bool minExcluded = false, bool maxExcluded = false)
    {
        string interval = string.Create(CultureInfo.InvariantCulture, $"{(minExcluded ? "(" : "[")}{min}, {max}{(maxExcluded ? ")" : "]")}");
        AddCheck<double>(option, value => double.IsFinite(value) && (minExcluded ? value > min : value >= min) && (maxExcluded ? value < max : value <= max),
            $"a number in {interval}");
        return option;
    }

    /// <summary>A finite number above 0.</summary>
    public static Option<double> PositiveFinite(this Option<double> option)
    {
        AddCheck<double>(option, value => double.IsFinite(value) && value > 0, "a finite number > 0");
        return option;
    }

    /// <summary>A finite number from 0 up.</summary>
    public static Option<double> NonNegative(this Option<double> option)
    {
        AddCheck<double>(option, value => double.IsFinite(value) && value >= 0, "a finite number >= 0");
        return option;
    }

    /// <inheritdoc cref="NonNegative(Option{double})"/>
    public static Option<double?> NonNegative(this Option<double?> option)
    {
        AddCheck<double>(option, value => double.IsFinite(value) && value >= 0, "a finite number >= 0");
        return option;
    }

    private static void AddCheck<T>(Option option, Func<T, bool> accepts, string expected) where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            // Unparsable text is reported by the parser itself; only numbers are checked here.
            if (result.Tokens.Count > 0 && T.TryParse(result.Tokens[^1].Value, CultureInfo.InvariantCulture, out T value) && !accepts(value))
                result.AddError($"{option.Name} must be {expected}, got {result.Tokens[^1].Value}.");
        });
    }
}

/// <summary>Checks of path options that only the command line can make: what the path names must fit what the option writes.</summary>
internal static class PathOptions
{
    /// <summary>The option names a file to write: an existing folder there is a usage error (it would fail only after the work).</summary>
    public static Option<string> OutputFile(this Option<string> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[^1].Value is { Length: > 0 } path && Directory.Exists(path))
                result.AddError($"{option.Name} {path}: a folder; it names the file to write.");
        });
        return option;
    }

    /// <summary>The option names a folder to write into: an existing file there is a usage error.</summary>
    public static Option<string> OutputFolder(this Option<string> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[^1].Value is { Length: > 0 } path && File.Exists(path))
                result.AddError($"{option.Name} {path}: a file; it names the folder to write into.");
        });
        return option;
    }

    /// <summary>
    /// No option or argument of dctnet takes an empty string (paths, names, lists): "" is a slip of the shell, like an
    /// unset variable, and is refused by name for every command at once.
    /// </summary>
    public static void RefuseEmptyStrings(Command command)
    {
        foreach (var option in command.Options.Where(o => o.ValueType == typeof(string) || o.ValueType == typeof(string[])))
            option.Validators.Add(result =>
            {
                if (result.Tokens.Any(token => token.Value.Length == 0))
                    result.AddError($"{option.Name} is an empty string.");
            });
        foreach (var argument in command.Arguments.Where(a => a.ValueType == typeof(string) || a.ValueType == typeof(string[])))
            argument.Validators.Add(result =>
            {
                if (result.Tokens.Any(token => token.Value.Length == 0))
                    result.AddError($"the {argument.Name} argument is an empty string.");
            });
        foreach (var subcommand in command.Subcommands)
            RefuseEmptyStrings(subcommand);
    }
}

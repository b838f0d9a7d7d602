using System.CommandLine;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;

namespace DctNet.Cli;

/// <summary>How the commands that read image files find them, report what they leave out, and keep outputs off them.</summary>
internal static class ImageInputs
{
    public static Option<bool> FollowLinksOption() => new("--follow-links")
    {
        Description = "Enter links to folders while walking the input folder (each folder once, so loops end). "
            + "By default they are left alone, as hidden files are; links to files are always read.",
    };

    /// <summary>
    /// The image files below <paramref name="root"/>; each entry that looks like an image but is not read (a FIFO, a device,
    /// a dangling link, a name .NET cannot open) is reported as an error line and returned among the failures. A folder
    /// without a single readable image gets one line instead (see <see cref="NoImages"/>).
    /// </summary>
    public static ImageFileList Walk(CliContext context, string root, bool followLinks)
    {
        var found = ImageFiles.Find(root, followLinks);
        if (found.Relative.Count == 0)
            return found;
        foreach (var skipped in found.Skipped)
            context.ReportError($"{skipped.Path}: {skipped.Reason}; skipped.");
        return found;
    }

    /// <summary>The one line for a folder without a single image file to read: what was skipped (the first one and its reason) and the links not entered.</summary>
    public static string NoImages(string root, ImageFileList found)
    {
        string line = $"{root}: no image files ({string.Join(' ', ImageFiles.Extensions)}) that can be read in this folder or below";
        if (found.Skipped.Count > 0)
            line += $"; skipped {found.Skipped[0].Path}: {found.Skipped[0].Reason}" + (found.Skipped.Count > 1 ? $", and {found.Skipped.Count - 1} more" : "");
        if (found.UnfollowedFolderLinks > 0)
            line += $"; {found.UnfollowedFolderLinks} links to folders were not followed (--follow-links enters them)";
        return line + ".";
    }

    /// <summary>A usage error naming <paramref name="option"/> when a path given there does not exist, with the reason when there is one.</summary>
    public static UsageException Missing(string option, string path)
        => new($"{option} '{path}': {FileProbe.MissingReason(path)}.");

    /// <summary>
    /// Refuses, as a usage error, an output path that is one of the input files: the two are compared as the file
    /// system sees them (device and inode, links followed), so another spelling, a link or a hard link is caught too.
    /// </summary>
    public static void RefuseOverwritingInput(string option, string output, IEnumerable<string> inputs)
        => RefuseOverwritingInputs(option, [output], inputs);

    /// <inheritdoc cref="RefuseOverwritingInput"/>
    public static void RefuseOverwritingInputs(string option, IReadOnlyList<string> outputs, IEnumerable<string> inputs)
    {
        var existing = new Dictionary<(ulong, ulong), string>();
        foreach (string output in outputs)
        {
            if (Identity(output) is { } identity)
                existing.TryAdd(identity, output);
        }
        if (existing.Count == 0)
            return;
        foreach (string input in inputs)
        {
            if (Identity(input) is { } identity && existing.TryGetValue(identity, out string? output))
                throw new UsageException($"{option} '{output}' is the input {input} itself, which writing it would destroy; choose another output.");
        }
    }

    private static (ulong Device, ulong Inode)? Identity(string path)
    {
        try
        {
            return FileProbe.Stat(path, followLinks: true) is { } status ? (status.Device, status.Inode) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}

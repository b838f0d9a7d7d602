namespace DctNet.Fuzz;

/// <summary>
/// One hostile input and the dctnet command that must refuse it: exit 1 (bad input) or 2 (usage), one stderr line
/// that mentions <see cref="MustMention"/>, and nothing new under <see cref="Directory"/> afterwards.
/// </summary>
/// <param name="Class">The class: checkpoints, images, npy, coco, runs, cli.</param>
/// <param name="Name">Unique within its class; also the name of <see cref="Directory"/>.</param>
/// <param name="Directory">The case's own folder: its inputs, and where its command would write. Must end as it began.</param>
/// <param name="Arguments">dctnet's arguments; the command runs with <see cref="Directory"/> as its working directory.</param>
/// <param name="MustMention">What the error line must contain: the file's name (as DctNet prints it), or the option for a usage error.</param>
/// <param name="MaySucceed">A correct result (exit 0) is as good as a refusal, e.g. a huge polygon that rasterizes right.</param>
public sealed record FuzzCase(string Class, string Name, string Directory, IReadOnlyList<string> Arguments, string MustMention, bool MaySucceed = false)
{
    public override string ToString() => $"{Class}/{Name}";
}

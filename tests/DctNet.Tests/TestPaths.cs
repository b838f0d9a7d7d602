namespace DctNet.Tests;

/// <summary>Where the repository and its fixtures are, found from the test binary's folder.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Fixtures { get; } = Path.Combine(RepositoryRoot, "tests", "fixtures");

    public static string FixtureImage(string name) => Path.Combine(Fixtures, "images", name);

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DctNet.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"DctNet.slnx not found above {AppContext.BaseDirectory}.");
    }
}

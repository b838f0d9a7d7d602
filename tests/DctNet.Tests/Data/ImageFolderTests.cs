using DctNet.Data;

namespace DctNet.Tests.Data;

public class ImageFolderTests
{
    [Fact]
    public void Classes_and_samples_are_in_ordinal_order_and_other_files_are_ignored()
    {
        string root = Path.Combine(Path.GetTempPath(), $"dctnet-folder-{Guid.NewGuid():N}");
        try
        {
            foreach (var file in new[] { "bees/b.jpg", "bees/a.png", "ants/z.JPG", "ants/sub/y.jpeg", "ants/readme.txt" })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, file))!);
                File.WriteAllText(Path.Combine(root, file), "");
            }
            var folder = ImageFolder.Open(root);
            Assert.Equal(["ants", "bees"], folder.Classes.Names);
            Assert.Equal(
                [("ants/sub/y.jpeg", 0), ("ants/z.JPG", 0), ("bees/a.png", 1), ("bees/b.jpg", 1)],
                folder.Samples.Select(s => (Path.GetRelativePath(root, s.Path), s.Label)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Missing_or_empty_folders_are_explained()
    {
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => ImageFolder.Open("/nonexistent/dataset")).Message);
        string root = Directory.CreateTempSubdirectory("dctnet-empty-").FullName;
        try
        {
            Assert.Contains("no class folders", Assert.Throws<ArgumentException>(() => ImageFolder.Open(root)).Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

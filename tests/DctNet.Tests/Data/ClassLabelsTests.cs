using DctNet.Data;

namespace DctNet.Tests.Data;

public class ClassLabelsTests
{
    [Fact]
    public void ImageNet_has_1000_classes_in_wnid_order()
    {
        var labels = ClassLabels.ImageNet;
        Assert.Equal(1000, labels.Count);
        Assert.Equal("tench", labels[0]);
        Assert.Equal("goldfish", labels[1]);
        Assert.Equal("great white shark", labels[2]);
        Assert.Equal("toilet tissue", labels[999]);
    }

    [Fact]
    public void Labels_file_skips_comments_and_keeps_names_after_a_tab()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["# classes", "ants", "", "n02206856\tbees"]);
            Assert.Equal(["ants", "bees"], ClassLabels.Load(path).Names);
            Assert.Equal("class 7", ClassLabels.Load(path)[7]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using DctNet.Analysis;

namespace DctNet.Tests.Analysis;

public sealed class RecordedRunTests : IDisposable
{
    private readonly string run = Directory.CreateTempSubdirectory("dctnet-recorded-run-").FullName;

    public void Dispose() => Directory.Delete(run, recursive: true);

    [Fact]
    public void Validation_data_is_the_val_folder_of_the_recorded_root()
    {
        string root = Directory.CreateDirectory(Path.Combine(run, "data", "val")).Parent!.FullName;
        File.WriteAllText(Path.Combine(run, "options.json"), $$"""{"model": "resnet18-dct-s2", "data": "{{root}}", "epochs": 12}""");

        var recorded = RecordedRun.Read(run);

        Assert.Equal("resnet18-dct-s2", recorded.Model);
        Assert.Equal(root, recorded.Data);
        Assert.Equal(Path.Combine(root, "val"), recorded.ValidationData);
    }

    [Fact]
    public void A_root_without_val_folder_is_the_validation_data_itself()
    {
        File.WriteAllText(Path.Combine(run, "options.json"), $$"""{"data": "{{run}}"}""");

        var recorded = RecordedRun.Read(run);

        Assert.Null(recorded.Model);
        Assert.Equal(run, recorded.ValidationData);
    }

    [Fact]
    public void A_weights_file_or_a_directory_without_options_records_nothing()
    {
        string weights = Path.Combine(run, "best.safetensors");
        File.WriteAllText(weights, "");

        Assert.Equal(new RecordedRun(null, null), RecordedRun.Read(weights));
        Assert.Equal(new RecordedRun(null, null), RecordedRun.Read(run));
        Assert.Null(RecordedRun.Read(run).ValidationData);
    }

    [Theory]
    [InlineData("{\"data\": ")]
    [InlineData("[1, 2]")]
    public void Unreadable_options_name_the_file(string content)
    {
        File.WriteAllText(Path.Combine(run, "options.json"), content);

        var error = Assert.Throws<InvalidDataException>(() => RecordedRun.Read(run));

        Assert.StartsWith(Path.Combine(run, "options.json"), error.Message, StringComparison.Ordinal);
    }
}

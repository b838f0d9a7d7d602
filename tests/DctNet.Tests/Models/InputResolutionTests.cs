using DctNet.Checkpoints;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Inference;
using DctNet.Models;
using Xunit;

namespace DctNet.Tests.Models;

public sealed class InputResolutionTests
{
    private static readonly ModelDefinition Dct = ModelRegistry.Get("resnet18-dct");

    [Fact]
    public void What_was_asked_wins_over_the_weights_and_the_weights_over_the_defaults()
    {
        var recorded = new CheckpointMetadata { Model = Dct.Name, Classes = 2, Channels = ChannelSubset.BuiltIn(6), Geometry = new CropGeometry(80, 64), Normalization = null };

        var fresh = Assert.IsType<DctInput>(Dct.ResolveInput(new InputRequest()));
        var gated = Assert.IsType<DctInput>(Dct.ResolveInput(new InputRequest(), gate: true));
        var fromWeights = Assert.IsType<DctInput>(Dct.ResolveInput(new InputRequest(), recorded, source: "w"));
        var asked = Assert.IsType<DctInput>(Dct.ResolveInput(new InputRequest(ChannelSubset.BuiltIn(6), new CropGeometry(40, 32))));

        Assert.Equal((ModelRegistry.DefaultChannelCount, CropGeometry.ResNet), (fresh.Channels.Count, fresh.Geometry));
        Assert.Equal(InputNormalization.From(ChannelStatistics.ImageNet).Mean, fresh.Normalization!.Mean);
        Assert.Equal(ChannelSubset.TotalChannels, gated.Channels.Count);
        Assert.Equal((6, new CropGeometry(80, 64)), (fromWeights.Channels.Count, fromWeights.Geometry));
        Assert.Null(fromWeights.Normalization); // the checkpoint was trained on raw coefficients
        Assert.Equal((6, new CropGeometry(40, 32)), (asked.Channels.Count, asked.Geometry));
    }

    [Fact]
    public void A_request_that_contradicts_the_weights_is_refused()
    {
        var recorded = new CheckpointMetadata { Model = Dct.Name, Classes = 2, Channels = ChannelSubset.BuiltIn(6), Normalization = InputNormalization.From(ChannelStatistics.ImageNet) };
        var other = new ChannelStatistics([.. Enumerable.Repeat(0.0, 192)], [.. Enumerable.Repeat(1.0, 192)]);

        var channels = Assert.Throws<ModelRequestException>(() => Dct.ResolveInput(new InputRequest(ChannelSubset.BuiltIn(24)), recorded, source: "w"));
        var statistics = Assert.Throws<ModelRequestException>(() => Dct.ResolveInput(new InputRequest(Statistics: other), recorded, source: "w"));
        var rgb = Assert.Throws<ArgumentException>(() => ModelRegistry.Get("resnet18").ResolveInput(new InputRequest(Statistics: other)));

        Assert.StartsWith("w: the checkpoint was trained on channels 6, but channels 24", channels.Message, StringComparison.Ordinal);
        Assert.StartsWith("w: the checkpoint records the normalization", statistics.Message, StringComparison.Ordinal);
        Assert.StartsWith("resnet18 takes RGB images; DCT channel statistics", rgb.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pipeline_follows_the_checkpoint_and_a_checkpoint_refuses_the_other()
    {
        var jpeg = new CheckpointMetadata { Model = Dct.Name, Classes = 2, Channels = ChannelSubset.BuiltIn(6), Pipeline = DctPipeline.Jpeg };
        var exact = jpeg with { Pipeline = DctPipeline.Exact };

        var fresh = Assert.IsType<DctInput>(Dct.ResolveInput(new InputRequest(Pipeline: DctPipeline.Jpeg)));
        var fromWeights = Assert.IsType<DctInput>(Dct.ResolveInput(new InputRequest(), jpeg, source: "w"));
        var refused = Assert.Throws<ModelRequestException>(() => Dct.ResolveInput(new InputRequest(Pipeline: DctPipeline.Jpeg), exact, source: "w"));
        var rgb = Assert.Throws<ArgumentException>(() => ModelRegistry.Get("resnet18").ResolveInput(new InputRequest(Pipeline: DctPipeline.Jpeg)));

        Assert.Equal(DctPipeline.Jpeg, fresh.Pipeline);
        Assert.Equal(InputNormalization.From(ChannelStatistics.ImageNetJpeg).Mean, fresh.Normalization!.Mean); // the pipeline's own statistics
        Assert.Equal(DctPipeline.Jpeg, fromWeights.Pipeline);
        Assert.Equal(DctPipeline.Exact, Assert.IsType<DctInput>(Dct.ResolveInput(new InputRequest())).Pipeline);
        Assert.StartsWith("w: the checkpoint was trained on the exact pipeline's input, but the jpeg pipeline was asked for", refused.Message, StringComparison.Ordinal);
        Assert.StartsWith("resnet18 takes RGB images", rgb.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoints_of_the_jpeg_pipeline_are_a_format_that_older_readers_refuse()
    {
        var jpeg = new CheckpointMetadata { Model = Dct.Name, Classes = 2, Channels = ChannelSubset.BuiltIn(6), Pipeline = DctPipeline.Jpeg };
        string json = jpeg.ToJson();
        string exactJson = (jpeg with { Pipeline = DctPipeline.Exact }).ToJson();

        Assert.Contains("\"format_version\":2", json, StringComparison.Ordinal);
        Assert.Contains("\"pipeline\":\"jpeg\"", json, StringComparison.Ordinal);
        Assert.Contains("\"format_version\":1", exactJson, StringComparison.Ordinal);
        Assert.DoesNotContain("pipeline", exactJson, StringComparison.Ordinal);
        Assert.Equal(DctPipeline.Jpeg, CheckpointMetadata.FromJson(json).Pipeline);
        Assert.Equal(DctPipeline.Exact, CheckpointMetadata.FromJson(exactJson).Pipeline);
        Assert.Throws<InvalidDataException>(() => CheckpointMetadata.FromJson(json.Replace("\"format_version\":2", "\"format_version\":1", StringComparison.Ordinal)));
        Assert.Throws<InvalidDataException>(() => CheckpointMetadata.FromJson(exactJson.Replace("\"format_version\":1", "\"format_version\":2", StringComparison.Ordinal)));
        Assert.Throws<InvalidDataException>(() => CheckpointMetadata.FromJson(json.Replace("\"jpeg\"", "\"png\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_registry_matches_names_case_insensitively_and_lists_the_known_ones()
    {
        Assert.Same(ModelRegistry.Get("resnet50-dct"), ModelRegistry.Get("ResNet50-DCT"));
        var unknown = Assert.Throws<ArgumentException>(() => ModelRegistry.Get("vgg16"));
        Assert.Null(unknown.ParamName);
        Assert.Equal($"Unknown model 'vgg16'. Known models: {string.Join(", ", ModelRegistry.Models.Names)}.", unknown.Message);
    }
}

using TorchSharp;

namespace DctNet.Training;

/// <summary>
/// A view of a run that is refreshed after each committed epoch (curves.png, TensorBoard), as detectron2's HookBase
/// watches a trainer (before_train, before_step, after_step, after_train), reduced to the one call the runs need: after
/// the commit, so that what a hook shows is what the run directory keeps. A hook reads the run; it never changes it.
/// </summary>
public interface IEpochHook<in TMetrics>
{
    void AfterEpoch(TMetrics metrics);
}

/// <summary>A classification run's curves.png, redrawn from its metrics.jsonl (<see cref="Reporting.Curves"/>).</summary>
public sealed class CurvesHook(string directory, string title) : IEpochHook<ClassificationEpochMetrics>
{
    public void AfterEpoch(ClassificationEpochMetrics metrics)
        => Reporting.Curves.Render(Path.Combine(directory, RunLedger.MetricsFile), Path.Combine(directory, RunLedger.CurvesFile), title);
}

/// <summary>A classification run's scalars per epoch, as TensorBoard event files under <c>tensorboard/</c>.</summary>
public sealed class TensorBoardHook(string directory) : IEpochHook<ClassificationEpochMetrics>
{
    private TorchSharp.Modules.SummaryWriter? writer;

    public void AfterEpoch(ClassificationEpochMetrics metrics)
    {
        writer ??= torch.utils.tensorboard.SummaryWriter(Path.Combine(directory, RunLedger.TensorBoardFolder), createRunName: false);
        writer.add_scalar("loss/train", (float)metrics.TrainLoss, metrics.Epoch);
        writer.add_scalar("loss/val", (float)metrics.ValLoss, metrics.Epoch);
        writer.add_scalar("accuracy/train_top1", (float)metrics.TrainTop1, metrics.Epoch);
        writer.add_scalar("accuracy/val_top1", (float)metrics.ValTop1, metrics.Epoch);
        writer.add_scalar("accuracy/val_top5", (float)metrics.ValTop5, metrics.Epoch);
        writer.add_scalar("lr", (float)metrics.LearningRate, metrics.Epoch);
        writer.add_scalar("images_per_s", (float)metrics.ImagesPerSecond, metrics.Epoch);
        if (metrics.ChannelsOn is { } channelsOn)
            writer.add_scalar("gate/channels_on", (float)channelsOn, metrics.Epoch);
    }
}

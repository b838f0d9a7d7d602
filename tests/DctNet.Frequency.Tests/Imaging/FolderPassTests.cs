using DctNet.Frequency.Imaging;

namespace DctNet.Frequency.Tests.Imaging;

/// <summary>The one folder loop: the fold sees results in file order whatever the threads, a failing file is collected and the others go on.</summary>
public sealed class FolderPassTests
{
    private static readonly string[] Files = [.. Enumerable.Range(0, 40).Select(i => $"images/{i:D2}.jpg")];

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void The_fold_sees_every_result_in_file_order_and_failures_are_collected_with_their_reasons(int threads)
    {
        var folded = new List<int>();
        var reported = new List<SkippedFile>();
        var progress = new List<int>();
        var pass = new FolderPass(Files, threads)
        {
            Failed = failure =>
            {
                lock (reported)
                    reported.Add(failure);
            },
            Progress = progress.Add,
        };

        pass.Run(() => new int[1], (state, index) =>
        {
            // Later files finish first, so the fold must wait for earlier ones.
            Thread.Sleep((Files.Length - index) % 5);
            state[0]++;
            return index switch
            {
                7 => throw new ImageDecodeException(Files[index], "truncated or corrupt image data"),
                21 => throw new FileFailedException("cannot write out/21.npy (read-only file system)"),
                33 => throw new InvalidOperationException("a decoder defect"),
                _ => index,
            };
        }, folded.Add);

        Assert.Equal([.. Enumerable.Range(0, 40).Except([7, 21, 33])], folded);
        Assert.Equal(
            [new SkippedFile("images/07.jpg", "truncated or corrupt image data"), new SkippedFile("images/21.jpg", "cannot write out/21.npy (read-only file system)"),
                new SkippedFile("images/33.jpg", "InvalidOperationException: a decoder defect")],
            pass.Failures);
        Assert.Equal(pass.Failures, reported.OrderBy(failure => failure.Path, StringComparer.Ordinal));
        Assert.Equal((40, 37), (pass.Done, pass.Succeeded));
        Assert.Equal(Enumerable.Range(1, 40), progress);
    }

    [Fact]
    public void A_full_disk_stops_the_workers_and_is_rethrown()
    {
        var pass = new FolderPass(Files, threads: 3);
        var full = new IOException("No space left on device", 28);
        using var thrown = new ManualResetEventSlim();
        int calls = 0;

        // The first file fails; the others wait for that and then long enough for the failure to reach the pass, so that
        // no worker finishes a file before it and each finishes at most the one it holds.
        var rethrown = Assert.Throws<IOException>(() => pass.Run(() => 0, (_, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                thrown.Set();
                throw full;
            }
            thrown.Wait();
            Thread.Sleep(200);
        }));

        Assert.Same(full, rethrown);
        Assert.Empty(pass.Failures);
        Assert.InRange(pass.Done, 0, 2);
    }

    [Fact]
    public void Cancellation_stops_handing_out_files()
    {
        using var cancel = new CancellationTokenSource();
        var pass = new FolderPass(Files, threads: 2);
        int calls = 0;

        // The first file cancels; every other one waits for that, so no worker can finish a file before the cancellation
        // and each finishes at most the one it holds: however the threads are scheduled, one or two files are done.
        pass.Run(() => 0, (_, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
                cancel.Cancel();
            else
                cancel.Token.WaitHandle.WaitOne();
        }, cancel.Token);

        Assert.InRange(pass.Done, 1, 2);
    }
}

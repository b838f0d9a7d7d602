using DctNet.Cli;
using DctNet.Platform;

// Before libtorch runs anything: oneDNN reads its instruction-set cap once (see KernelProtection).
KernelProtection.Apply();

// Model commands allocate and free large tensors every step; see NativeHeap for why glibc should keep them.
NativeHeap.RetainFreedMemory();

// Ctrl+C once: finish the images in flight, keep what is written, exit 130. Twice: the default (immediate exit).
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (interrupt.IsCancellationRequested)
        return;
    e.Cancel = true;
    interrupt.Cancel();
};
return DctNetCli.Run(args, new CliContext(Console.Out, Console.Error, interactive: !Console.IsErrorRedirected, interrupt.Token));

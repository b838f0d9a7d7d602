using System.Runtime.InteropServices;

namespace DctNet.Platform;

/// <summary>
/// libtorch's CPU tensors come straight from malloc, and glibc serves blocks above its mmap threshold (32 MB at most)
/// with fresh mmaps that it unmaps on free: a ResNet-50 training step at batch 16 then faults in and zeroes hundreds
/// of thousands of pages that the previous step just gave back (PyTorch measured here: 3.3 million minor faults in
/// five ResNet-50-DCT steps, DctNet with this setting 0.75 million). Keeping freed memory in the heap instead is what PyTorch's performance guide gets from jemalloc or
/// tcmalloc; a running .NET process cannot swap its allocator, but it can tell glibc's.
/// </summary>
public static class NativeHeap
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapMax = -4;       // M_MMAP_MAX

    /// <summary>
    /// Asks glibc to serve every block from the heap (no per-block mmap) and never to give freed memory back to the
    /// kernel; the process keeps its peak footprint. Does nothing off Linux. Returns whether glibc took both settings.
    /// </summary>
    public static bool RetainFreedMemory()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            return mallopt(MmapMax, 0) == 1 && mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (e.g. musl): its allocator keeps its own policy
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}

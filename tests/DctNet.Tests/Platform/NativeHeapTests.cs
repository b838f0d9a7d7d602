using DctNet.Platform;

namespace DctNet.Tests.Platform;

public class NativeHeapTests
{
    [Fact]
    public void Glibc_takes_both_settings_on_linux()
    {
        // Debian's libc is glibc: both mallopt calls must succeed there, and nothing is claimed elsewhere.
        Assert.Equal(OperatingSystem.IsLinux(), NativeHeap.RetainFreedMemory());
    }
}

using System.Runtime.InteropServices;

namespace DctNet;

/// <summary>
/// How libtorch's OpenMP worker threads (GNU libgomp) wait between parallel regions. By default they spin for a while,
/// which pays on an idle machine; on cores that other processes share, a spinning thread holds the core that the thread
/// it waits for needs. Measured with the demo on the project's 2-core machine at a load of about 7: 11.2 minutes
/// spinning, 2.0 minutes with passive waiting (the same work; 458 against 110 CPU-seconds).
/// </summary>
public static class OpenMpWaiting
{
    public const string Variable = "OMP_WAIT_POLICY";

    /// <summary>
    /// Sets <c>OMP_WAIT_POLICY=PASSIVE</c> in the process environment unless it is set already. libgomp reads it once,
    /// when libtorch is loaded, so this only takes effect before the first use of TorchSharp in the process.
    /// </summary>
    /// <returns>Whether the variable was set here.</returns>
    public static bool PreferPassive()
    {
        // Environment.SetEnvironmentVariable changes .NET's copy only; libgomp reads the C library's.
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null)
            return false;
        return SetEnvironment("OMP_WAIT_POLICY\0"u8.ToArray(), "PASSIVE\0"u8.ToArray(), overwrite: 0) == 0;
    }

    /// <summary>C's setenv with NUL-terminated UTF-8 names: byte arrays marshal without unsafe code.</summary>
    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnvironment(byte[] name, byte[] value, int overwrite);
}

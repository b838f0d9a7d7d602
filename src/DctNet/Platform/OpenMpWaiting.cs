namespace DctNet.Platform;

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
    public static bool PreferPassive() => NativeEnvironment.SetIfAbsent(Variable, "PASSIVE");
}

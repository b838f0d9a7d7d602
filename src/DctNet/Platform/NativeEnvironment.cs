using System.Runtime.InteropServices;
using System.Text;

namespace DctNet.Platform;

/// <summary>
/// The C library's environment, which native code (libgomp, oneDNN) reads with <c>getenv</c>. On Linux
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only .NET's own copy, so settings meant for
/// native libraries go through <c>setenv</c>.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> for native code unless it is set already; returns whether it was set here.</summary>
    public static bool SetIfAbsent(string name, string value)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(name) is not null)
            return false;
        try
        {
            return SetEnvironment(Terminated(name), Terminated(value), overwrite: 0) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static byte[] Terminated(string text) => Encoding.UTF8.GetBytes(text + "\0");

    /// <summary>C's setenv with NUL-terminated UTF-8 strings: byte arrays marshal without unsafe code.</summary>
    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnvironment(byte[] name, byte[] value, int overwrite);
}

using System.Runtime.CompilerServices;
using DctNet.Platform;

namespace DctNet.Tests;

/// <summary>
/// Some tests run TorchSharp before any DctNet type; the protection must be in place before oneDNN's first primitive
/// (see <see cref="KernelProtection"/>), so it is applied when this assembly loads.
/// </summary>
internal static class ProtectKernels
{
    [ModuleInitializer]
    internal static void Apply() => KernelProtection.Apply();
}

using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DctNet.Platform;

/// <summary>Who decided the instruction sets that oneDNN may use.</summary>
public enum KernelSettingSource
{
    /// <summary>Nobody: oneDNN uses every instruction set the processor has.</summary>
    Default,

    /// <summary>The user, through <c>ONEDNN_MAX_CPU_ISA</c> (or <c>DNNL_MAX_CPU_ISA</c>) in the environment.</summary>
    Environment,

    /// <summary>DctNet, because oneDNN cannot compute correctly with all of them on this host (or the protection was forced on).</summary>
    Protection,
}

/// <summary>The instruction sets oneDNN runs with in this process (null: all), who decided, and why, in words for a user.</summary>
public sealed record KernelSettings(string? OneDnnMaxIsa, KernelSettingSource Source, string Reason)
{
    /// <summary>Whether DctNet itself restricted oneDNN.</summary>
    public bool Protected => Source == KernelSettingSource.Protection;

    /// <summary>A few words for a figure's host line: "oneDNN up to AVX (DctNet's protection)".</summary>
    public string Summary => (OneDnnMaxIsa, Source) switch
    {
        (null, _) => "oneDNN with every instruction set",
        (var isa, KernelSettingSource.Protection) => $"oneDNN up to {isa} (DctNet's protection)",
        (var isa, _) => $"oneDNN up to {isa} (set in the environment)",
    };
}

/// <summary>
/// Makes libtorch's convolutions correct on the host DctNet runs on, before the first one runs.
/// <para>
/// libtorch runs CPU convolutions through oneDNN, whose blocking heuristics take the cache sizes that its Xbyak reads
/// from CPUID. Where a hypervisor leaves AMD's cache leaf empty, those are 1 byte (<see cref="OneDnnCacheView"/>), and
/// oneDNN v3.7.1's AVX2 and AVX-512 convolutions then crash the process (SIGFPE) or return wrong values (measured on
/// an AMD EPYC VM: ResNet-50's 1x1 convolutions divide by zero, MobileNetV2 is 18% off, 24-channel 3x3 convolutions
/// 21% off; issue 10). On such a host DctNet caps oneDNN at AVX, whose kernels were right on every configuration
/// DctNet's models use (<c>dctnet doctor</c> checks each against float64); elsewhere it changes nothing.
/// </para>
/// <para>
/// oneDNN reads <c>ONEDNN_MAX_CPU_ISA</c> once, at its first primitive (a matrix product is enough), so the cap is set
/// when DctNet.Torch is loaded (a module initializer) and by the <c>dctnet</c> tool before anything else. A program
/// that runs TorchSharp operations before touching any DctNet type should call <see cref="Apply"/> first.
/// </para>
/// <para>
/// <c>DCTNET_KERNEL_PROTECTION</c> overrides the decision: <c>on</c> caps oneDNN on any host (to test the protection
/// where it is not needed), <c>off</c> never does (to see what it prevents), <c>auto</c> (the default) decides from
/// oneDNN's cache view. An <c>ONEDNN_MAX_CPU_ISA</c> the user set always wins.
/// </para>
/// </summary>
public static class KernelProtection
{
    public const string ModeVariable = "DCTNET_KERNEL_PROTECTION";

    /// <summary>The <c>ONEDNN_MAX_CPU_ISA</c> value of the protection.</summary>
    public const string SafeIsa = "AVX";

    private const string OneDnnIsaVariable = "ONEDNN_MAX_CPU_ISA";
    private const string LegacyIsaVariable = "DNNL_MAX_CPU_ISA";

    private static readonly Lock Gate = new();
    private static KernelSettings? _settings;
    private static bool _libTorchQuieted;

    /// <summary>The settings in force in this process (applying them if that has not happened yet).</summary>
    public static KernelSettings Settings => Apply();

    /// <summary>Decides and applies the settings once per process; later calls return them. Cheap: no libtorch is loaded.</summary>
    public static KernelSettings Apply()
    {
        lock (Gate)
        {
            if (_settings is not null)
                return _settings;
            var settings = Decide(Environment.GetEnvironmentVariable, OneDnnCacheView.OfThisProcessor());
            if (settings.Protected && !NativeEnvironment.SetIfAbsent(OneDnnIsaVariable, SafeIsa))
                settings = settings with { Reason = settings.Reason + " - but the C library's environment could not be set, so oneDNN runs uncapped" };
            return _settings = settings;
        }
    }

    /// <summary>The decision, from the environment and oneDNN's cache view; pure, so that tests can feed any host.</summary>
    public static KernelSettings Decide(Func<string, string?> environment, OneDnnCacheView? view)
    {
        // oneDNN reads the first of the two that is set.
        foreach (string variable in (string[])[OneDnnIsaVariable, LegacyIsaVariable])
        {
            if (environment(variable) is { Length: > 0 } userIsa)
                return new KernelSettings(userIsa, KernelSettingSource.Environment, $"{variable}={userIsa} is set in the environment; DctNet leaves it");
        }

        string mode = environment(ModeVariable)?.Trim().ToLowerInvariant() ?? "auto";
        string viewText = view is null ? "oneDNN's x64 kernels do not run here"
            : $"oneDNN sees L1d {HostProcessor.FormatBytes(view.L1DataPerCore)}, L2 {HostProcessor.FormatBytes(view.L2PerCore)} per core ({view.Source})";
        switch (mode)
        {
            case "on":
                return new KernelSettings(SafeIsa, KernelSettingSource.Protection, $"{ModeVariable}=on: oneDNN capped at {SafeIsa} ({viewText})");
            case "off":
                return new KernelSettings(null, KernelSettingSource.Default, $"{ModeVariable}=off: every instruction set, unprotected ({viewText})");
        }
        string invalid = mode == "auto" ? "" : $"{ModeVariable}='{environment(ModeVariable)}' is not auto, on or off, so auto: ";
        return view is { IsDegenerate: true }
            ? new KernelSettings(SafeIsa, KernelSettingSource.Protection,
                $"{invalid}{viewText}, which no processor has: oneDNN's AVX2 and AVX-512 convolutions crash or compute wrong values with "
                + $"that view, so DctNet caps oneDNN at {SafeIsa}")
            : new KernelSettings(null, KernelSettingSource.Default, $"{invalid}{viewText}: every instruction set");
    }

    /// <summary>
    /// Turns libtorch's NNPACK off, once per process: where NNPACK cannot run (it needs caches that CPUID reports; the
    /// hosts above lack them), libtorch prints "Could not initialize NNPACK! Reason: Unsupported hardware." at every
    /// convolution that oneDNN does not take, which no user can act on. Nothing changes otherwise: libtorch prefers oneDNN
    /// for every float32 convolution that NNPACK could take (batches of 16 or more), and NNPACK takes no other.
    /// Loads libtorch; the model builders call it.
    /// </summary>
    public static void QuietLibTorch()
    {
        Apply();
        lock (Gate)
        {
            if (_libTorchQuieted)
                return;
            _libTorchQuieted = true;
            _ = TorchSharp.torch.get_num_threads(); // loads libtorch, which reads no oneDNN setting yet
            LibTorchContext.DisableNnpack();
        }
    }

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "oneDNN reads its instruction-set cap once, at its first primitive; a library user's first DctNet call may be that primitive.")]
    internal static void ApplyWhenLoaded() => Apply();

    /// <summary>
    /// <c>at::globalContext().setUserEnabledNNPACK(false)</c>, which libtorch_cpu exports but TorchSharp does not wrap.
    /// The mangled names are those of libtorch 2.10's Itanium C++ ABI; another libtorch without them keeps NNPACK on.
    /// </summary>
    private static class LibTorchContext
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr GlobalContext();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void SetFlag(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

        public static void DisableNnpack()
        {
            if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var library)
                || !NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out var globalContext)
                || !NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledNNPACKEb", out var setNnpack))
                return;
            var context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(globalContext)();
            Marshal.GetDelegateForFunctionPointer<SetFlag>(setNnpack)(context, false);
        }
    }
}

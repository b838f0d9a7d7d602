using System.Reflection;
using System.Runtime.InteropServices;

namespace DctNet.Frequency.Imaging;

/// <summary>
/// P/Invoke surface of libjpeg-turbo's TurboJPEG 2.x API. JPEG decoding goes through the system's
/// libjpeg-turbo because it is the decoder OpenCV's <c>imread</c> uses on Debian: same library, same pixels
/// (islow IDCT, fancy upsampling), which a managed decoder cannot promise.
/// </summary>
internal static partial class TurboJpegNative
{
    private const string LibraryName = "turbojpeg";

    // Debian ships the runtime as libturbojpeg.so.0 only (the unversioned name comes with the -dev package).
    private static readonly string[] CandidateNames = ["libturbojpeg.so.0", "libturbojpeg.so", "turbojpeg"];

    public const int PixelFormatRgb = 0;
    public const int PixelFormatCmyk = 11;
    public const int ColorspaceRgb = 0;
    public const int ColorspaceYCbCr = 1;
    public const int ColorspaceGray = 2;
    public const int ColorspaceCmyk = 3;
    public const int ColorspaceYcck = 4;
    public const int ErrorCodeWarning = 0;

    /// <summary>tjTransform: no lossless transform, only the custom filter's view of the coefficients.</summary>
    public const int TransformNone = 0;
    /// <summary>tjTransform option: write no output image (the documented way to capture coefficients without transcoding).</summary>
    public const int TransformOptionNoOutput = 16;
    /// <summary>tjTransform option: do not keep the file's APPn/COM markers in memory for an output that is never written.</summary>
    public const int TransformOptionCopyNone = 64;
    /// <summary>Refuse progressive files of more than 500 scans, a known way for a small file to take minutes.</summary>
    public const int FlagLimitScans = 32768;

    static TurboJpegNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(TurboJpegNative).Assembly, Resolve);
    }

    /// <summary>Whether the system has the library (looked up once).</summary>
    public static bool IsAvailable => Loaded.Value.Handle != IntPtr.Zero;

    /// <summary>The file name it was found under, e.g. libturbojpeg.so.0; null when missing.</summary>
    public static string? LoadedName => Loaded.Value.Name;

    private static readonly Lazy<(IntPtr Handle, string? Name)> Loaded = new(() =>
    {
        foreach (var candidate in CandidateNames)
        {
            if (NativeLibrary.TryLoad(candidate, typeof(TurboJpegNative).Assembly, null, out var handle))
                return (handle, candidate);
        }
        return (IntPtr.Zero, null);
    });

    /// <summary>Throws a clear error when the library is missing, instead of a DllNotFoundException deep in a decode.</summary>
    public static void EnsureLoaded()
    {
        if (!IsAvailable)
            throw new DllNotFoundException(
                "libjpeg-turbo's TurboJPEG library (libturbojpeg.so.0) was not found; install it, e.g. `apt-get install libturbojpeg0`.");
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        => name == LibraryName ? Loaded.Value.Handle : IntPtr.Zero;

    [LibraryImport(LibraryName)]
    public static partial IntPtr tjInitDecompress();

    [LibraryImport(LibraryName)]
    public static partial int tjDestroy(IntPtr handle);

    [LibraryImport(LibraryName)]
    public static unsafe partial int tjDecompressHeader3(IntPtr handle, byte* jpegBuf, nuint jpegSize,
        out int width, out int height, out int jpegSubsamp, out int jpegColorspace);

    [LibraryImport(LibraryName)]
    public static unsafe partial int tjDecompress2(IntPtr handle, byte* jpegBuf, nuint jpegSize,
        byte* dstBuf, int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(LibraryName)]
    public static partial IntPtr tjInitTransform();

    [LibraryImport(LibraryName)]
    public static unsafe partial int tjTransform(IntPtr handle, byte* jpegBuf, nuint jpegSize, int n,
        byte** dstBufs, nuint* dstSizes, TjTransform* transforms, int flags);

    [LibraryImport(LibraryName)]
    public static partial IntPtr tjGetErrorStr2(IntPtr handle);

    [LibraryImport(LibraryName)]
    public static partial int tjGetErrorCode(IntPtr handle);

    public static string LastError(IntPtr handle) => Marshal.PtrToStringUTF8(tjGetErrorStr2(handle)) ?? "unknown TurboJPEG error";

    /// <summary>turbojpeg.h's tjregion: a rectangle in pixels (for the custom filter, in coefficients).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TjRegion
    {
        public int X, Y, W, H;
    }

    /// <summary>turbojpeg.h's tjtransform, with the custom filter as an unmanaged function pointer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct TjTransform
    {
        public TjRegion Region;
        public int Operation;
        public int Options;
        public void* Data;
        public delegate* unmanaged[Cdecl]<short*, TjRegion, TjRegion, int, int, TjTransform*, int> CustomFilter;
    }
}

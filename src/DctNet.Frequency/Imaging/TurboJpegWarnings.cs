namespace DctNet.Frequency.Imaging;

/// <summary>
/// Whether a TurboJPEG call that did not succeed cleanly still gave the whole image, for both JPEG pipelines.
/// TurboJPEG 2.1 reports a warning when one was emitted at any point of the call, even when a fatal error followed
/// (its error code says "warning" whenever a warning came first), and libjpeg continues past damaged entropy-coded data
/// with a warning, filling the rest with zeros. So a call counts as good only when its last message is one of the
/// warnings that lose no image data; anything else - truncation, damaged data, a fatal error - fails the file rather
/// than letting a half-gray image into a dataset. <see cref="LibJpegNetEntropyDecoder"/> judges libjpeg's warnings by
/// the same list where TurboJPEG is missing.
/// </summary>
internal static class TurboJpegWarnings
{
    /// <summary>libjpeg's warnings (jerror.h) about data around the image, not in it: the coefficients are all there.</summary>
    private static readonly string[] Harmless =
    [
        "extraneous bytes before marker",     // JWRN_EXTRANEOUS_DATA: stray bytes between segments, common in camera files
        "unknown JFIF revision number",       // JWRN_JFIF_MAJOR
        "Unknown Adobe color transform code", // JWRN_ADOBE_XFORM
        "bad ICC marker",                      // JWRN_BOGUS_ICC
    ];

    /// <summary>The reason to fail a call that returned an error status, or null when it only warned harmlessly.</summary>
    public static string? Failure(IntPtr handle)
    {
        string message = TurboJpegNative.LastError(handle);
        bool warning = TurboJpegNative.tjGetErrorCode(handle) == TurboJpegNative.ErrorCodeWarning;
        return warning && IsHarmless(message) ? null : message;
    }

    /// <summary>Whether a libjpeg warning is one of those that lose no image data.</summary>
    public static bool IsHarmless(string warning) => Harmless.Any(harmless => warning.Contains(harmless, StringComparison.OrdinalIgnoreCase));
}

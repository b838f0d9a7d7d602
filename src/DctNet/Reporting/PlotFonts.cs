using ScottPlot;
using SkiaSharp;

namespace DctNet.Reporting;

/// <summary>
/// Gives every plot DejaVu Sans from an embedded resource (license in Fonts/DejaVuSans.LICENSE). The Skia build the
/// project ships (NativeAssets.Linux.NoDependencies) has no fontconfig, so it finds no system font and would draw
/// every title, label and tick without text; an embedded font also makes the PNGs the same on every machine.
/// </summary>
public static class PlotFonts
{
    public const string Family = "DejaVu Sans";

    private static readonly Lazy<bool> Registration = new(Register, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Registers the font with ScottPlot and makes it the default, once; call before building a plot.</summary>
    public static void EnsureRegistered() => _ = Registration.Value;

    private static bool Register()
    {
        using var stream = typeof(PlotFonts).Assembly.GetManifestResourceStream("DctNet.Reporting.DejaVuSans.ttf")
            ?? throw new InvalidOperationException("The embedded plot font DctNet.Reporting.DejaVuSans.ttf is missing.");
        var data = SKData.Create(stream);
        Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver(data));
        Fonts.Default = Family;
        return true;
    }

    /// <summary>One regular face for every request (bold and italic included): plain but always legible.</summary>
    private sealed class EmbeddedFontResolver(SKData font) : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) => SKTypeface.FromData(font);

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => SKTypeface.FromData(font);
    }
}

using SkiaSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>
/// A learner's own photo, read the way the course's networks need it: any common image file (PNG, JPEG, BMP, GIF, WebP, ICO),
/// any size, as 8-bit RGB. Grayscale is repeated into the three channels; transparent pixels are composited onto white, from
/// the file's own colours (SkiaSharp decodes them unpremultiplied), so a half-transparent red stays a light red rather than
/// turning dark. TorchVision's reader (SkiaImager in TorchSharp 0.107) hands back premultiplied colours, which darkens every
/// transparent pixel towards black, and a NullReferenceException for a file that is not an image; hence this reader.
/// </summary>
public static class Photo
{
    /// <summary>The background transparent pixels are composited onto.</summary>
    public const byte Background = 255;

    /// <summary>Reads <paramref name="path"/> as uint8 RGB [3, height, width].</summary>
    /// <exception cref="FileNotFoundException">No file at that path.</exception>
    /// <exception cref="InvalidDataException">The file is not an image this reader can decode.</exception>
    public static Tensor Read(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException(
                $"There is no file at {full}. Put your photo there, or give the path of one (relative paths start in the notebook's folder, {Directory.GetCurrentDirectory()}).", full);
        using var codec = SKCodec.Create(full) ?? throw NotAnImage(full);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput)) throw NotAnImage(full, result.ToString());
        using var scope = NewDisposeScope();
        var rgba = tensor(bitmap.Bytes).view(info.Height, info.Width, 4).to(ScalarType.Float32);
        var alpha = rgba[.., .., 3..4] / 255;
        var rgb = rgba[.., .., ..3] * alpha + Background * (1 - alpha);
        return rgb.round_().clamp_(0, 255).to(ScalarType.Byte).permute(2, 0, 1).contiguous().MoveToOuterDisposeScope();
    }

    static InvalidDataException NotAnImage(string path, string? why = null) => new(
        $"{path} is not an image this reader can decode{(why is null ? "" : $" ({why})")}: use a PNG, JPEG, BMP, GIF, WebP or ICO file " +
        "(a photo saved from a phone or a browser is one of these; a HEIC photo needs converting first).");
}

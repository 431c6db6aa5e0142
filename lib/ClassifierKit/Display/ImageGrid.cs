using System.Net;
using ClassifierKit.Data;
using ClassifierKit.Platform;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torchvision;

namespace ClassifierKit.Display;

/// <summary>A batch of images tiled into one picture (TorchVision's make_grid), with caption lines; shows inline in a notebook.</summary>
public sealed class ImageGrid
{
    /// <summary>The grid as a PNG file's bytes.</summary>
    public byte[] Png { get; }

    /// <summary>Lines shown under the grid, e.g. the labels.</summary>
    public IReadOnlyList<string> Captions { get; }

    ImageGrid(byte[] png, IReadOnlyList<string> captions) { Png = png; Captions = captions; }

    /// <summary>
    /// Tiles <paramref name="images"/> [N, C, H, W]: uint8, float in [0, 1], or float normalized with <paramref name="normalization"/>.
    /// <paramref name="scale"/> enlarges small images (32 px CIFAR images are tiny on screen).
    /// </summary>
    public static ImageGrid Of(Tensor images, Normalization? normalization = null, int? imagesPerRow = null, int scale = 3, params string[] captions)
    {
        using var scope = NewDisposeScope();
        var x = Displayable(images, normalization, scale);
        long n = x.shape[0], perRow = Math.Min(imagesPerRow ?? 8, n);
        if (perRow < 1) throw new ArgumentOutOfRangeException(nameof(imagesPerRow), imagesPerRow, "imagesPerRow must be at least 1.");
        long padded = (n + perRow - 1) / perRow * perRow;
        if (padded > n) // make_grid needs a whole number of rows
            x = cat([x, ones(padded - n, x.shape[1], x.shape[2], x.shape[3])]);
        var grid = torchvision.utils.make_grid(x, nrow: perRow, padding: 2, pad_value: 1.0);
        return new ImageGrid(EncodePng(grid), captions);
    }

    /// <summary>
    /// Images ready to show: float RGB [N, 3, H, W] in [0, 1], enlarged <paramref name="scale"/> times, from uint8, from float in
    /// [0, 1], or from float normalized with <paramref name="normalization"/>; one image [C, H, W] becomes a batch of one.
    /// </summary>
    internal static Tensor Displayable(Tensor images, Normalization? normalization, int scale)
    {
        if (images.dim() == 3) images = images.unsqueeze(0);
        if (images.dim() != 4)
            throw new ArgumentException($"expected images [N, C, H, W] or one image [C, H, W], got [{string.Join(", ", images.shape)}]", nameof(images));
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be at least 1.");
        var x = images.detach().cpu();
        x = x.dtype == ScalarType.Byte ? x.to(ScalarType.Float32).div(255)
            : normalization != null ? normalization.Invert(x.to(ScalarType.Float32))
            : x.to(ScalarType.Float32).clamp(0, 1);
        if (x.shape[1] == 1) // grey images: make_grid and PNG want colour planes
            x = x.expand(-1, 3, -1, -1);
        if (scale > 1)
            x = nn.functional.interpolate(x, scale_factor: [scale, scale], mode: InterpolationMode.Nearest);
        return x;
    }

    /// <summary>One float RGB image [3, H, W] in [0, 1] as PNG bytes (TorchVision's encoder with SkiaSharp).</summary>
    internal static byte[] EncodePng(Tensor image)
    {
        using var scope = NewDisposeScope();
        var bytes = image.mul(255).round().clamp(0, 255).to(ScalarType.Byte);
        return io.encode_image(bytes, ImageFormat.Png, new io.SkiaImager()).data<byte>().ToArray();
    }

    /// <summary>
    /// Shows each channel of one feature map [C, H, W] as its own grey image, each stretched to its own
    /// min..max range (a convolution's outputs have no fixed scale).
    /// </summary>
    public static ImageGrid OfChannels(Tensor featureMaps, int? imagesPerRow = null, int scale = 3, params string[] captions)
    {
        using var scope = NewDisposeScope();
        if (featureMaps.dim() != 3)
            throw new ArgumentException($"expected one feature map [C, H, W], got [{string.Join(", ", featureMaps.shape)}]");
        return Of(StretchEach(featureMaps.unsqueeze(1)), imagesPerRow: imagesPerRow, scale: scale, captions: captions);
    }

    /// <summary>
    /// Each image of <paramref name="images"/> [N, C, H, W] stretched to its own min..max range, so [0, 1], as float32 on the
    /// CPU: for values with no fixed scale, such as feature maps or a layer's filters. A constant image becomes 0.
    /// </summary>
    public static Tensor StretchEach(Tensor images)
    {
        if (images.dim() != 4)
            throw new ArgumentException($"expected images [N, C, H, W], got [{string.Join(", ", images.shape)}]", nameof(images));
        using var scope = NewDisposeScope();
        var x = images.detach().cpu().to(ScalarType.Float32);
        var min = x.amin([1, 2, 3], keepdim: true);
        var max = x.amax([1, 2, 3], keepdim: true);
        return ((x - min) / (max - min).clamp_min(1e-8)).MoveToOuterDisposeScope();
    }

    /// <summary>The blog's label line: each class name right-aligned in 5 characters, e.g. "  dog  ship plane".</summary>
    public static string LabelLine(Tensor labels, IReadOnlyList<string> classes, string separator = " ")
    {
        using var cpu = labels.cpu().to(ScalarType.Int64);
        return string.Join(separator, cpu.data<long>().ToArray().Select(l => classes[(int)l].PadLeft(5)));
    }

    /// <summary>Writes the grid to a PNG file.</summary>
    public void SavePng(string path) => File.WriteAllBytes(path, Png);

    /// <summary>An img tag with the PNG inlined, followed by the captions.</summary>
    public string ToHtml()
    {
        var captions = string.Concat(Captions.Select(c => $"<div style=\"font-family:monospace;white-space:pre\">{WebUtility.HtmlEncode(c)}</div>"));
        return $"<div><img src=\"data:image/png;base64,{Convert.ToBase64String(Png)}\" style=\"image-rendering:pixelated\"/>{captions}</div>";
    }

    /// <summary>Plain-text form: the captions.</summary>
    public override string ToString() => $"ImageGrid ({Png.Length:N0}-byte PNG)" + string.Concat(Captions.Select(c => "\n" + c));
}

using System.Net;
using ClassifierKit.Data;
using static TorchSharp.torch;

namespace ClassifierKit.Display;

/// <summary>
/// Images side by side, each with its own title underneath (matplotlib's subplot grid with <c>plt.title</c>): labelled samples,
/// misclassified test images with their true and predicted class. Shows inline in a notebook as an HTML grid of PNGs.
/// </summary>
public sealed class ImageGallery
{
    /// <summary>Each image's PNG bytes, in order.</summary>
    public IReadOnlyList<byte[]> Pngs { get; }
    /// <summary>Each image's title (lines separated by \n).</summary>
    public IReadOnlyList<string> Titles { get; }
    /// <summary>Images per row.</summary>
    public int PerRow { get; }

    ImageGallery(IReadOnlyList<byte[]> pngs, IReadOnlyList<string> titles, int perRow) => (Pngs, Titles, PerRow) = (pngs, titles, perRow);

    /// <summary>
    /// Shows <paramref name="images"/> [N, C, H, W] (uint8, float in [0, 1], or normalized with <paramref name="normalization"/>)
    /// with one title each; <paramref name="scale"/> enlarges small images.
    /// </summary>
    public static ImageGallery Of(Tensor images, IReadOnlyList<string> titles, Normalization? normalization = null, int perRow = 4, int scale = 3)
    {
        using var scope = NewDisposeScope();
        var x = ImageGrid.Displayable(images, normalization, scale);
        if (titles.Count != x.shape[0])
            throw new ArgumentException($"{x.shape[0]} images but {titles.Count} titles; give one title per image.", nameof(titles));
        if (perRow < 1) throw new ArgumentOutOfRangeException(nameof(perRow), perRow, "perRow must be at least 1.");
        var pngs = Enumerable.Range(0, (int)x.shape[0]).Select(i => ImageGrid.EncodePng(x[i])).ToArray();
        return new ImageGallery(pngs, titles.ToArray(), perRow);
    }

    /// <summary>A grid of images with their titles underneath.</summary>
    public string ToHtml()
    {
        var cells = Pngs.Zip(Titles, (png, title) =>
            "<figure style=\"margin:4px;text-align:center\">" +
            $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" style=\"image-rendering:pixelated\"/>" +
            $"<figcaption style=\"font-family:monospace;font-size:12px;white-space:pre\">{WebUtility.HtmlEncode(title)}</figcaption></figure>");
        return $"<div style=\"display:grid;grid-template-columns:repeat({PerRow}, max-content);gap:2px\">{string.Concat(cells)}</div>";
    }

    /// <summary>Plain-text form: the titles.</summary>
    public override string ToString() => $"ImageGallery ({Pngs.Count} images): " + string.Join("; ", Titles.Select(t => t.Replace('\n', ' ')));
}

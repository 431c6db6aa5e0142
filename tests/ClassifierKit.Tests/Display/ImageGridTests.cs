using System.Buffers.Binary;
using ClassifierKit.Data;
using ClassifierKit.Display;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Display;

public sealed class ImageGridTests
{
    static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Width and height from the PNG's IHDR chunk (right after the signature and the chunk's length and type).</summary>
    static (int Width, int Height) PngSize(byte[] png) =>
        (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));

    static Tensor Batch(int n)
    {
        var bytes = new byte[n * 3 * 32 * 32];
        new Random(5).NextBytes(bytes);
        return tensor(bytes, ScalarType.Byte).view(n, 3, 32, 32);
    }

    [Fact]
    public void A_batch_of_five_renders_as_one_row_png()
    {
        using var images = Batch(5);

        var grid = ImageGrid.Of(images, scale: 3);

        Assert.Equal(PngSignature, grid.Png[..8]);
        // make_grid: 2-pixel padding around and between 96-pixel (3 x 32) tiles
        Assert.Equal((5 * (96 + 2) + 2, 96 + 2 + 2), PngSize(grid.Png));
    }

    [Fact]
    public void A_batch_that_does_not_fill_its_last_row_is_padded_to_whole_rows()
    {
        using var images = Batch(5);

        var grid = ImageGrid.Of(images, imagesPerRow: 4, scale: 1);

        Assert.Equal(PngSignature, grid.Png[..8]);
        Assert.Equal((4 * 34 + 2, 2 * 34 + 2), PngSize(grid.Png));
    }

    [Fact]
    public void Normalized_input_with_its_normalization_renders_like_the_raw_bytes()
    {
        using var images = Batch(5);
        using var normalized = Normalization.Half().Apply(images);

        var raw = ImageGrid.Of(images);
        var fromNormalized = ImageGrid.Of(normalized, Normalization.Half());

        Assert.Equal(raw.Png, fromNormalized.Png);
    }

    [Fact]
    public void The_html_inlines_the_png_as_base64_with_the_captions_encoded()
    {
        using var images = Batch(5);

        var grid = ImageGrid.Of(images, captions: ["cat < dog"]);
        var html = grid.ToHtml();

        Assert.Contains($"data:image/png;base64,{Convert.ToBase64String(grid.Png)}\"", html);
        Assert.Contains("cat &lt; dog", html);
        Assert.Contains("cat < dog", grid.ToString());
    }

    [Fact]
    public void Each_image_is_stretched_to_its_own_range_and_a_constant_one_becomes_zero()
    {
        using var images = stack([arange(8f).view(2, 2, 2), full(2, 2, 2, -3f), arange(8f).view(2, 2, 2) * -0.5f]);

        using var stretched = ImageGrid.StretchEach(images);

        Assert.Equal(new long[] { 3, 2, 2, 2 }, stretched.shape);
        AssertClose(Enumerable.Range(0, 8).Select(i => i / 7f), stretched[0]);       // 0..7 → 0..1
        AssertClose(Enumerable.Repeat(0f, 8), stretched[1]);                        // constant: 0, not NaN
        AssertClose(Enumerable.Range(0, 8).Select(i => 1 - i / 7f), stretched[2]);   // 0..-3.5 → 1..0
    }

    static void AssertClose(IEnumerable<float> expected, Tensor actual) =>
        Assert.All(expected.Zip(actual.flatten().data<float>().ToArray()), p => Assert.Equal(p.First, p.Second, 5));

    [Fact]
    public void The_label_line_right_aligns_each_name_in_five_characters_joined_by_spaces_like_the_blog()
    {
        using var labels = tensor(new long[] { 3, 8, 0, 5, 1 });

        // Python: ' '.join('%5s' % classes[labels[j]] for j in range(5))
        Assert.Equal("  cat  ship plane   dog   car", ImageGrid.LabelLine(labels, Cifar10.ShortClasses));
        Assert.Equal("  cat   ship", ImageGrid.LabelLine(tensor(new long[] { 3, 8 }), Cifar10.ShortClasses, separator: "  "));
        Assert.Equal("automobile   cat", ImageGrid.LabelLine(tensor(new long[] { 1, 3 }), Cifar10.Classes)); // longer names are not cut
    }
}

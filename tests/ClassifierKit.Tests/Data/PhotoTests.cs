using ClassifierKit.Data;
using SkiaSharp;

namespace ClassifierKit.Tests.Data;

/// <summary>A learner's own photo: any common file, grayscale or with transparency, any size; a wrong file named.</summary>
public class PhotoTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("classifierkit-photo-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Png(string name, SKImageInfo info, byte[] pixels)
    {
        using var bitmap = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        var path = Path.Combine(_dir, name);
        using var file = File.Create(path);
        bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
        return path;
    }

    [Fact]
    public void Transparency_is_composited_onto_white_from_the_files_own_colours()
    {
        var path = Png("alpha.png", new SKImageInfo(3, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul),
            [200, 100, 50, 128,   10, 20, 30, 255,   0, 200, 0, 0]);
        using var image = Photo.Read(path);
        Assert.Equal(new long[] { 3, 1, 3 }, image.shape);
        var rgb = image.permute(1, 2, 0).reshape(-1).data<byte>().ToArray();
        byte Over(byte c, byte a) => (byte)Math.Round(c * a / 255.0 + 255 * (1 - a / 255.0));
        Assert.Equal(new byte[] { Over(200, 128), Over(100, 128), Over(50, 128), 10, 20, 30, 255, 255, 255 }, rgb);
    }

    [Fact]
    public void Grayscale_is_repeated_into_three_channels()
    {
        var path = Png("gray.png", new SKImageInfo(2, 1, SKColorType.Gray8, SKAlphaType.Opaque), [10, 250]);
        using var image = Photo.Read(path);
        Assert.Equal(new byte[] { 10, 250, 10, 250, 10, 250 }, image.reshape(-1).data<byte>().ToArray());
    }

    [Fact]
    public void A_missing_file_and_a_file_that_is_not_an_image_are_named()
    {
        var missing = Path.Combine(_dir, "my-cat.jpg");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => Photo.Read(missing)).Message);
        var text = Path.Combine(_dir, "notes.png");
        File.WriteAllText(text, "not pixels");
        var e = Assert.Throws<InvalidDataException>(() => Photo.Read(text));
        Assert.Contains(text, e.Message);
        Assert.Contains("PNG, JPEG", e.Message);
    }
}

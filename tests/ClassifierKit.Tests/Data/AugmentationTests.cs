using ClassifierKit.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Data;

[Collection(GlobalRng.Name)]
public class AugmentationTests
{
    static Tensor Images(int n = 16, long seed = 3)
    {
        using var g = new Generator((ulong)seed, CPU);
        return randint(0, 256, new long[] { n, 3, 8, 8 }, generator: g).to(ScalarType.Byte);
    }

    [Fact]
    public void Crop_and_flip_keep_shape_and_dtype_and_change_pixels()
    {
        using var x = Images();
        using var aug = Augmentation.CropAndFlip(seed: 1);
        using var y = aug.Apply(x);
        Assert.Equal(x.shape, y.shape);
        Assert.Equal(ScalarType.Byte, y.dtype);
        Assert.False(TestKit.Same(x, y));
    }

    [Fact]
    public void Same_seed_gives_same_augmentation_and_other_seed_differs()
    {
        using var x = Images();
        using var a = new Augmentation(4, 0.5, seed: 7);
        using var b = new Augmentation(4, 0.5, seed: 7);
        using var c = new Augmentation(4, 0.5, seed: 8);
        using var ya = a.Apply(x);
        using var yb = b.Apply(x);
        using var yc = c.Apply(x);
        Assert.True(TestKit.Same(ya, yb));
        Assert.False(TestKit.Same(ya, yc));
    }

    [Fact]
    public void Flip_is_drawn_per_image_and_each_output_is_the_image_or_its_mirror()
    {
        using var one = Images(1);
        using var x = one.expand(32, 3, 8, 8).contiguous();
        using var mirror = one.flip(3);
        using var aug = new Augmentation(padding: 0, flipProbability: 0.5, seed: 5);
        using var y = aug.Apply(x);
        int flipped = 0, kept = 0;
        for (int i = 0; i < 32; i++)
        {
            using var yi = y[i..(i + 1)];
            if (TestKit.Same(yi, one)) kept++;
            else if (TestKit.Same(yi, mirror)) flipped++;
        }
        Assert.Equal(32, flipped + kept);
        Assert.InRange(flipped, 1, 31);
    }

    [Fact]
    public void Crop_is_drawn_per_image_and_each_output_is_a_window_of_the_padded_image()
    {
        using var one = Images(1);
        using var x = one.expand(32, 3, 8, 8).contiguous();
        using var padded = nn.functional.pad(one, new long[] { 2, 2, 2, 2 });
        using var aug = new Augmentation(padding: 2, flipProbability: 0, seed: 9);
        using var y = aug.Apply(x);
        var offsets = new HashSet<(int, int)>();
        for (int i = 0; i < 32; i++)
        {
            using var yi = y[i..(i + 1)];
            var match = (from dy in Enumerable.Range(0, 5) from dx in Enumerable.Range(0, 5) select (dy, dx))
                .Where(o => { using var w = padded[.., .., o.dy..(o.dy + 8), o.dx..(o.dx + 8)]; return TestKit.Same(w, yi); }).ToList();
            Assert.NotEmpty(match);
            offsets.Add(match[0]);
        }
        Assert.True(offsets.Count > 5, $"only {offsets.Count} distinct crop offsets in 32 images");
    }
}

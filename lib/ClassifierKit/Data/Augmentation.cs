using ClassifierKit.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>
/// Seeded batch-level random crop (zero padding) and horizontal flip on uint8 [B, C, H, W], each image drawing its own offset
/// and flip; or, with <see cref="AlternateFlips"/>, airbench's alternating flip, which a <see cref="BatchLoader"/> applies.
/// </summary>
public sealed class Augmentation : IDisposable
{
    /// <summary>Pixels of zero padding on each side before the random crop; 0 disables cropping.</summary>
    public int Padding { get; }

    /// <summary>Probability that an image is mirrored left-right; 0 disables flipping.</summary>
    public double FlipProbability { get; }

    /// <summary>The generator every random draw comes from (kept on the CPU so runs match across devices).</summary>
    public Generator Generator { get; }

    /// <summary>Fill the padding by mirroring the image at its border (PyTorch's 'reflect') instead of with black pixels.</summary>
    public bool Reflect { get; }

    /// <summary>
    /// airbench's alternating flip (Keller Jordan, arXiv 2404.00498) in place of a fresh coin per image and epoch:
    /// a random half of the images is mirrored in the first epoch, the other half in the second, and so on, so that every
    /// image is seen both ways in every two epochs. The paper measured it better than random flipping wherever flipping helps
    /// at all. A <see cref="BatchLoader"/> applies it (it knows each image's index and the epoch, see <see cref="FlipsOf"/>);
    /// <see cref="Apply(Tensor)"/> on a batch alone, which knows neither, flips at random.
    /// </summary>
    public bool AlternateFlips { get; }

    /// <summary>The seed of <see cref="AlternateFlips"/>' draw of the half of the images mirrored in even epochs (the constructor's
    /// seed; a checkpoint saves and restores it with the generator's state).</summary>
    public long FlipSeed { get; private set; }

    /// <summary>Crop after <paramref name="padding"/> pixels of zero padding and flip with <paramref name="flipProbability"/>; seed defaults to <see cref="Seed.Next"/>.</summary>
    public Augmentation(int padding = 4, double flipProbability = 0.5, long? seed = null, bool reflect = false, bool alternateFlips = false)
    {
        if (padding < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be 0 (no cropping) or more pixels, e.g. 4 for CIFAR-10.");
        if (!(flipProbability is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(flipProbability), flipProbability, "flipProbability must lie in [0, 1], e.g. 0.5.");
        if (alternateFlips && flipProbability != 0.5)
            throw new ArgumentException($"alternating flips mirror half of the images in each epoch, so flipProbability must be 0.5 (it is {flipProbability}); " +
                "for another probability, use random flips (alternateFlips: false).", nameof(alternateFlips));
        Padding = padding;
        FlipProbability = flipProbability;
        Reflect = reflect;
        AlternateFlips = alternateFlips;
        long chosen = seed ?? Seed.Next();
        FlipSeed = chosen;
        Generator = new Generator((ulong)chosen, CPU);
    }

    /// <summary>The standard CIFAR-10 augmentation, TorchVision's RandomCrop(32, padding=4) and RandomHorizontalFlip()
    /// (the blog's only transforms are ToTensor and Normalize; crop and flip are the common CIFAR-10 choice that 04 and 07 add).</summary>
    public static Augmentation CropAndFlip(long? seed = null) => new(4, 0.5, seed);

    /// <summary>Returns a new augmented uint8 batch of the same shape, drawing from <see cref="Generator"/>; the input is left untouched.</summary>
    public Tensor Apply(Tensor images) => Apply(images, Generator);

    /// <summary>
    /// As <see cref="Apply(Tensor)"/>, drawing from <paramref name="generator"/> (a loader gives each chunk of an epoch its own);
    /// <paramref name="flips"/> (bool [B]), when given, says which images to mirror instead of a random draw (a loader's
    /// alternating flips, from <see cref="FlipsOf"/>).
    /// </summary>
    public Tensor Apply(Tensor images, Generator generator, Tensor? flips = null)
    {
        if (images.dim() != 4) throw new ArgumentException($"expected [B, C, H, W], got [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        long b = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        var dev = images.device;
        int p = Padding;

        var oy = p > 0 ? randint(0, 2 * p + 1, new[] { b }, generator: generator).to(dev) : zeros(b, dtype: ScalarType.Int64, device: dev);
        var ox = p > 0 ? randint(0, 2 * p + 1, new[] { b }, generator: generator).to(dev) : zeros(b, dtype: ScalarType.Int64, device: dev);
        var rowsIdx = oy.view(b, 1) + arange(h, dtype: ScalarType.Int64, device: dev).view(1, h);
        var colsAr = arange(w, dtype: ScalarType.Int64, device: dev).view(1, w);
        var cols = ox.view(b, 1) + colsAr;
        if (flips is not null && (flips.dim() != 1 || flips.shape[0] != b))
            throw new ArgumentException($"flips must say for each of the {b} images whether to mirror it (bool [{b}]); got [{string.Join(", ", flips.shape)}].", nameof(flips));
        if (flips is not null || FlipProbability > 0)
        {
            var flip = (flips?.to(ScalarType.Bool) ?? rand(new[] { b }, generator: generator).lt(FlipProbability)).to(dev).view(b, 1);
            // A flip is just reversed column indices, so crop and flip become one gather.
            cols = where(flip, ox.view(b, 1) + (w - 1) - colsAr, cols);
        }
        if (Reflect && p > 0)
        {
            // Reflect padding needs no padded copy: an index into the padded image maps straight to a pixel of the original.
            rowsIdx = Mirror(rowsIdx - p, h);
            cols = Mirror(cols - p, w);
            var rows = images.gather(2, rowsIdx.view(b, 1, h, 1).expand(b, c, h, w));
            return rows.gather(3, cols.view(b, 1, 1, w).expand(b, c, h, w)).MoveToOuterDisposeScope();
        }
        var src = p > 0 ? nn.functional.pad(images, new long[] { p, p, p, p }) : images;
        var rowsGathered = src.gather(2, rowsIdx.view(b, 1, h, 1).expand(b, c, h, w + 2 * p));
        return rowsGathered.gather(3, cols.view(b, 1, 1, w).expand(b, c, h, w)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Which of the images <paramref name="imageIndices"/> (int64, indices into a dataset of <paramref name="datasetSize"/>) are
    /// mirrored in epoch <paramref name="epoch"/> (0-based) under <see cref="AlternateFlips"/>: a fixed random half of the
    /// dataset, drawn once from <see cref="FlipSeed"/>, in even epochs, and the other half in odd ones.
    /// </summary>
    public Tensor FlipsOf(Tensor imageIndices, long datasetSize, long epoch)
    {
        if (!AlternateFlips)
            throw new InvalidOperationException("FlipsOf gives alternating flips; this augmentation flips at random. Make it with alternateFlips: true.");
        if (_firstHalf is null || _firstHalf.shape[0] != datasetSize)
        {
            _firstHalf?.Dispose();
            using var g = new Generator(unchecked((ulong)FlipSeed * 0x9E3779B97F4A7C15UL + 1), CPU);
            using var draw = rand(new[] { datasetSize }, generator: g);
            _firstHalf = draw.lt(0.5).DetachFromDisposeScope();
        }
        using var scope = NewDisposeScope();
        var picked = _firstHalf.index_select(0, imageIndices.to(CPU));
        return (epoch % 2 == 0 ? picked : picked.logical_not()).MoveToOuterDisposeScope();
    }

    Tensor? _firstHalf;   // the images mirrored in even epochs, drawn for the dataset size last asked about

    /// <summary>A checkpoint's <see cref="FlipSeed"/>: the half is drawn again from it.</summary>
    internal void RestoreFlipSeed(long seed)
    {
        FlipSeed = seed;
        _firstHalf?.Dispose();
        _firstHalf = null;
    }

    // Index i of a line of n pixels, reflected at both ends without repeating the edge: -1 -> 1, n -> n - 2.
    static Tensor Mirror(Tensor i, long n) => (n - 1) - ((n - 1) - i.abs()).abs();

    public void Dispose()
    {
        Generator.Dispose();
        _firstHalf?.Dispose();
        _firstHalf = null;
    }
}

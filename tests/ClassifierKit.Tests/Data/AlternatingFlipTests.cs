using ClassifierKit.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Data;

/// <summary>airbench's alternating flip through a <see cref="BatchLoader"/>: each image mirrored in every other epoch.</summary>
[Collection(GlobalRng.Name)]
public class AlternatingFlipTests
{
    const int N = 64;

    // Images whose label is their index, so each image in a batch can be found in the dataset and compared with its mirror.
    static ImageDataset Indexed(long seed = 3)
    {
        using var g = new Generator((ulong)seed, CPU);
        var images = randint(0, 256, new long[] { N, 3, 6, 6 }, generator: g).to(ScalarType.Byte);
        return new ImageDataset(images, arange(N, dtype: ScalarType.Int64), Enumerable.Range(0, N).Select(i => $"image {i}").ToArray());
    }

    // For each image of the epoch: was it mirrored? Fails if an image came out as anything but itself or its mirror.
    static bool[] MirroredIn(BatchLoader loader, EpochPlan plan)
    {
        var mirrored = new bool?[N];
        using var originals = loader.Normalization.Apply(loader.Dataset.Images);
        foreach (var batch in loader.Epoch(plan))
            for (int i = 0; i < batch.Size; i++)
            {
                long index = batch.Labels[i].item<long>();
                using var image = batch.Images[i];
                using var original = originals[index];
                using var mirror = original.flip(2);
                bool same = TestKit.Same(image, original), flipped = TestKit.Same(image, mirror);
                Assert.True(same || flipped, $"image {index} came out as neither itself nor its mirror");
                mirrored[index] = flipped;
            }
        Assert.All(mirrored, m => Assert.NotNull(m));
        return mirrored.Select(m => m!.Value).ToArray();
    }

    [Fact]
    public void Each_image_is_mirrored_in_exactly_one_of_two_epochs_and_the_pattern_repeats()
    {
        using var data = Indexed();
        using var augmentation = new Augmentation(padding: 0, seed: 5, alternateFlips: true);
        using var loader = new BatchLoader(data, 10, shuffle: true, Normalization.Half(), augmentation, seed: 7);
        var epochs = new List<bool[]>();
        for (int e = 0; e < 3; e++)
        {
            using var plan = loader.NewEpochPlan();
            Assert.Equal(e, plan.Number);
            epochs.Add(MirroredIn(loader, plan));
        }
        Assert.InRange(epochs[0].Count(m => m), N / 4, 3 * N / 4);   // a random half, not all or none
        Assert.Equal(epochs[0].Select(m => !m), epochs[1]);           // the other half in the next epoch
        Assert.Equal(epochs[0], epochs[2]);                            // and the first half again
    }

    [Fact]
    public void The_epoch_number_a_trainer_passes_decides_the_half_and_the_seed_draws_it()
    {
        using var data = Indexed();
        bool[] Mirrored(long seed, long epoch)
        {
            using var augmentation = new Augmentation(padding: 0, seed: seed, alternateFlips: true);
            using var loader = new BatchLoader(data, 16, shuffle: false, Normalization.Half(), augmentation, seed: 1);
            using var plan = loader.NewEpochPlan(epoch);
            return MirroredIn(loader, plan);
        }
        Assert.Equal(Mirrored(5, 0), Mirrored(5, 4));
        Assert.Equal(Mirrored(5, 0).Select(m => !m), Mirrored(5, 3));
        Assert.NotEqual(Mirrored(5, 0), Mirrored(6, 0));
    }

    [Fact]
    public void Random_flips_still_draw_a_new_coin_each_epoch()
    {
        using var data = Indexed();
        using var augmentation = new Augmentation(padding: 0, seed: 5);
        using var loader = new BatchLoader(data, 16, shuffle: true, Normalization.Half(), augmentation, seed: 7);
        using var first = loader.NewEpochPlan();
        using var second = loader.NewEpochPlan();
        var (a, b) = (MirroredIn(loader, first), MirroredIn(loader, second));
        // Independent coins agree on about half of the images; alternating ones on none.
        Assert.InRange(a.Zip(b).Count(p => p.First == p.Second), 1, N - 1);
    }

    [Fact]
    public void Alternating_flips_need_a_flip_probability_of_one_half()
    {
        var e = Assert.Throws<ArgumentException>(() => new Augmentation(2, 0.3, seed: 1, alternateFlips: true));
        Assert.Contains("0.5", e.Message);
        Assert.Contains("alternateFlips: false", e.Message);
    }

    [Fact]
    public void Asking_a_random_flip_augmentation_for_alternating_flips_says_how_to_get_them()
    {
        using var augmentation = new Augmentation(2, 0.5, seed: 1);
        using var indices = arange(4, dtype: ScalarType.Int64);
        var e = Assert.Throws<InvalidOperationException>(() => augmentation.FlipsOf(indices, 10, 0));
        Assert.Contains("alternateFlips: true", e.Message);
    }

    [Fact]
    public void Flips_of_the_wrong_length_are_refused()
    {
        using var images = zeros(new long[] { 4, 3, 6, 6 }, dtype: ScalarType.Byte);
        using var augmentation = new Augmentation(0, 0.5, seed: 1);
        using var g = new Generator(1, CPU);
        using var flips = ones(3, dtype: ScalarType.Bool);
        var e = Assert.Throws<ArgumentException>(() => augmentation.Apply(images, g, flips));
        Assert.Contains("bool [4]", e.Message);
    }
}

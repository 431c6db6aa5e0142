using ClassifierKit.Data;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Data;

[Collection(GlobalRng.Name)]
public class BatchLoaderTests
{
    [Fact]
    public void Batches_are_normalized_float_with_int64_labels_and_count_respects_drop_last()
    {
        using var data = TestKit.Synthetic(10);
        using var keep = new BatchLoader(data, 4, shuffle: false, Normalization.Half());
        using var drop = new BatchLoader(data, 4, shuffle: false, Normalization.Half(), dropLast: true);
        Assert.Equal(3, keep.Count);
        Assert.Equal(2, drop.Count);
        var sizes = keep.Select(b => b.Size).ToList();
        Assert.Equal(new long[] { 4, 4, 2 }, sizes);
        using var first = keep.GetBatch(0);
        Assert.Equal(ScalarType.Float32, first.Images.dtype);
        Assert.Equal(ScalarType.Int64, first.Labels.dtype);
        Assert.InRange(first.Images.min().item<float>(), -1f, 1f);
        using var expected = Normalization.Half().Apply(data.Images[..4]);
        Assert.True(first.Images.allclose(expected));
    }

    [Fact]
    public void Shuffle_visits_every_image_once_and_draws_a_new_order_each_epoch()
    {
        using var data = TestKit.Synthetic(50);
        using var loader = new BatchLoader(data, 8, shuffle: true, Normalization.Half(), seed: 3);
        List<long> Epoch() => loader.SelectMany(b => b.Labels.data<long>().ToArray()).ToList();
        var e1 = Epoch();
        var e2 = Epoch();
        Assert.Equal(data.Labels.data<long>().ToArray().OrderBy(v => v), e1.OrderBy(v => v));
        Assert.NotEqual(e1, e2);
    }

    [Fact]
    public void Loader_disposes_each_batch_when_advancing_and_at_the_end()
    {
        using var data = TestKit.Synthetic(12);
        using var loader = new BatchLoader(data, 4, shuffle: false, Normalization.Half());
        var seen = new List<Batch>();
        foreach (var b in loader)
        {
            foreach (var earlier in seen) Assert.True(earlier.IsDisposed);
            Assert.False(b.Images.IsInvalid);
            seen.Add(b);
        }
        Assert.All(seen, b => Assert.True(b.IsDisposed));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_batch_size_below_one_is_refused_with_the_valid_range(int size)
    {
        using var data = TestKit.Synthetic(10);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(data, size, shuffle: false, Normalization.Half()));
        Assert.Contains("at least 1", e.Message);
    }

    [Fact]
    public void Drop_last_with_fewer_images_than_a_batch_is_refused()
    {
        using var data = TestKit.Synthetic(10);
        var e = Assert.Throws<ArgumentException>(() => new BatchLoader(data, 16, shuffle: true, Normalization.Half(), dropLast: true));
        Assert.Contains("leaves no batch", e.Message);
    }

    [Fact]
    public void An_epoch_can_start_at_a_later_batch_of_the_same_order()
    {
        using var data = TestKit.Synthetic(40);
        using var loader = new BatchLoader(data, 4, shuffle: true, Normalization.Half(), seed: 3);
        using var plan = loader.NewEpochPlan();
        var all = loader.Epoch(plan).Select(b => b.Labels.data<long>().ToArray()).ToList();
        var tail = loader.Epoch(plan, first: 6).Select(b => b.Labels.data<long>().ToArray()).ToList();
        Assert.Equal(all.Skip(6), tail);
    }

    // A trainer that stopped or failed mid-epoch continues with the batches an uninterrupted epoch would have had, augmentation
    // included: a chunk is augmented the same whether the epoch started at its first batch or in its middle.
    [Fact]
    public void An_augmented_epoch_started_at_any_batch_gives_the_same_pixels()
    {
        using var data = TestKit.Synthetic(2400, size: 8);   // 300 batches in chunks of 128
        using var augmentation = new Augmentation(2, 0.5, seed: 5);
        using var loader = new BatchLoader(data, 8, shuffle: true, Normalization.Half(), augmentation, seed: 3);
        using var plan = loader.NewEpochPlan();
        var all = loader.Epoch(plan).Select(b => b.Images.data<float>().ToArray()).ToList();
        foreach (var first in new[] { 1, 127, 128, 129, 200, 299 })
        {
            var tail = loader.Epoch(plan, first).Select(b => b.Images.data<float>().ToArray()).ToList();
            Assert.Equal(all.Skip(first), tail);
        }
    }
}

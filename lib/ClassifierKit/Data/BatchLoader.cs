using System.Collections;
using ClassifierKit.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>
/// Tensor-native mini-batches over an <see cref="ImageDataset"/>: index_select on the uint8 tensor, optional augmentation,
/// one fused normalization, moved to <see cref="Device"/>. Each enumeration is one epoch (a fresh permutation when shuffling).
/// Ownership: a yielded <see cref="Batch"/> belongs to the loader, which disposes it when the enumeration advances or runs to
/// its end (using it afterwards raises <see cref="ObjectDisposedException"/> with the fix); the batch in hand when a loop is
/// left early (<c>loader.First()</c>, a break) stays the caller's. Clone a batch's tensors to keep them, or use
/// <see cref="GetBatch"/> for a batch the caller owns.
/// </summary>
public sealed class BatchLoader : IEnumerable<Batch>, IDisposable
{
    /// <summary>The dataset batches are drawn from (not owned: the caller disposes it).</summary>
    public ImageDataset Dataset { get; }

    /// <summary>Images per batch (the last one may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the images in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a final incomplete batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Normalization applied after augmentation.</summary>
    public Normalization Normalization { get; }

    /// <summary>Optional augmentation applied to the uint8 batch (owned by the caller).</summary>
    public Augmentation? Augmentation { get; }

    /// <summary>Device the batches are delivered on.</summary>
    public Device Device { get; }

    /// <summary>Generator of the shuffling permutations (CPU, so runs match across devices).</summary>
    public Generator Generator { get; }

    /// <summary>Number of batches per epoch.</summary>
    public int Count { get; }

    /// <summary>Classes of the dataset, in label order.</summary>
    public IReadOnlyList<string> Classes => Dataset.Classes;

    /// <summary>Creates a loader; device defaults to the dataset's device and seed to <see cref="Seed.Next"/>.</summary>
    public BatchLoader(ImageDataset dataset, int batchSize, bool shuffle, Normalization normalization,
        Augmentation? augmentation = null, bool dropLast = false, Device? device = null, long? seed = null)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1 (the blog uses 5, the tutorial 4).");
        if (dataset.Count == 0)
            throw new ArgumentException("the dataset holds no images, so a loader would yield no batches.", nameof(dataset));
        if (dataset.Images.shape[1] != normalization.Channels)
            throw new ArgumentException(
                $"the dataset's images have {dataset.Images.shape[1]} channels but the normalization has {normalization.Channels}; " +
                $"use Normalization.Half({dataset.Images.shape[1]}) or pass one mean and std per channel.", nameof(normalization));
        if (dropLast && dataset.Count < batchSize)
            throw new ArgumentException(
                $"dropLast with {dataset.Count:N0} images and batches of {batchSize} leaves no batch; use a smaller batchSize or dropLast: false.", nameof(dropLast));
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Normalization = normalization;
        Augmentation = augmentation;
        Device = device ?? dataset.Images.device;
        Generator = new Generator((ulong)(seed ?? Seed.Next()), CPU);
        var n = dataset.Count;
        Count = (int)(dropLast ? n / batchSize : (n + batchSize - 1) / batchSize);
    }

    /// <summary>Images gathered, augmented and normalized together; small batches are views into such a chunk.</summary>
    public const int ChunkImages = 1024;

    /// <summary>Enumerates one epoch; each batch is disposed by the loader when the next is requested or the epoch ends.</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        ThrowIfUnusable();
        var plan = NewEpochPlan();
        try
        {
            foreach (var batch in Epoch(plan)) yield return batch;
        }
        finally
        {
            plan.Dispose();
        }
    }

    /// <summary>
    /// The batches of the epoch <paramref name="plan"/> describes (from <see cref="NewEpochPlan"/>), starting at batch
    /// <paramref name="first"/>: the same images, augmented the same way, whichever batch it starts at, so a trainer that
    /// stopped or failed mid-epoch continues as if it never had. Each batch is disposed by the loader when the next is
    /// requested or the loop ends; the caller keeps ownership of the plan.
    /// </summary>
    public IEnumerable<Batch> Epoch(EpochPlan plan, int first = 0)
    {
        ThrowIfUnusable();
        if (first < 0 || first > Count)
            throw new ArgumentOutOfRangeException(nameof(first), first, $"the first batch must lie in [0, {Count}].");
        // Gathering, augmenting and normalizing ~1k images at once and handing out views keeps the per-batch cost at
        // two narrow() calls: at batch 4 the per-call overhead of the full pipeline was as large as the model step. Chunks
        // start at fixed batches of the epoch and draw their augmentation from their own seed, so a chunk is the same
        // whether the epoch started at its first batch or in its middle.
        int perChunk = Math.Max(1, ChunkImages / BatchSize);
        Batch? chunk = null, current = null;
        bool finished = false;
        try
        {
            for (int i = first; i < Count; i++)
            {
                current?.Dispose();
                if (chunk is null || i % perChunk == 0)
                {
                    chunk?.Dispose();
                    int chunkIndex = i / perChunk;
                    long start = (long)chunkIndex * perChunk * BatchSize;
                    chunk = MakeBatch(plan.Order, start, Math.Min((long)perChunk * BatchSize, Dataset.Count - start), plan.AugmentationSeedOf(chunkIndex), plan.Number);
                }
                long offset = (long)(i % perChunk) * BatchSize, size = Math.Min(BatchSize, chunk.Size - offset);
                current = new Batch(chunk.Images.narrow(0, offset, size).DetachFromDisposeScope(),
                                    chunk.Labels.narrow(0, offset, size).DetachFromDisposeScope());
                yield return current;
            }
            finished = true;
        }
        finally
        {
            // A loop that ends early hands its last batch to whoever ended it (loader.First(), a break), so it stays valid
            // while they hold it; the chunk's pixels live on in it until it is disposed or collected.
            if (finished) current?.Dispose();
            chunk?.Dispose();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Batch <paramref name="index"/> in dataset order, without shuffling or touching the generators' order; the caller disposes it.</summary>
    public Batch GetBatch(int index = 0)
    {
        ThrowIfUnusable();
        if (index < 0 || index >= Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"this loader has batches 0 to {Count - 1}.");
        using var order = arange(Dataset.Count, dtype: ScalarType.Int64, device: Dataset.Images.device);
        long start = (long)index * BatchSize;
        return MakeBatch(order, start, Math.Min(BatchSize, Dataset.Count - start), (ulong)index, epoch: 0);   // augmented with a seed of its own
    }

    /// <summary>The order one epoch visits the images in: a new permutation from <see cref="Generator"/> when shuffling, else 0..N-1.</summary>
    public Tensor NewEpochOrder()
    {
        var dev = Dataset.Images.device;
        if (!Shuffle) return arange(Dataset.Count, dtype: ScalarType.Int64, device: dev).DetachFromDisposeScope();
        using var perm = randperm(Dataset.Count, generator: Generator);
        return perm.to(dev).DetachFromDisposeScope();
    }

    /// <summary>
    /// A new epoch: its order (<see cref="NewEpochOrder"/>) and, when the loader augments, a seed drawn from the augmentation's
    /// generator that every chunk of the epoch derives its own from. <paramref name="number"/> is the epoch's 0-based number,
    /// which alternating flips follow (<see cref="Augmentation.AlternateFlips"/>); a trainer passes its own count, and without
    /// one the loader counts the plans it made.
    /// </summary>
    public EpochPlan NewEpochPlan(long? number = null)
    {
        ThrowIfUnusable();
        if (number < 0) throw new ArgumentOutOfRangeException(nameof(number), number, "an epoch's number counts from 0.");
        var order = NewEpochOrder();
        long? seed = null;
        if (Augmentation is not null)
            using (var draw = randint(0, int.MaxValue, [1], generator: Augmentation.Generator))
                seed = draw.item<long>();
        long n = number ?? _plansMade;
        _plansMade = n + 1;
        return new EpochPlan(order, seed, n);
    }

    long _plansMade;   // the next epoch's number, for callers that do not count their own

    Batch MakeBatch(Tensor order, long start, long length, ulong? augmentationSeed, long epoch)
    {
        using var scope = NewDisposeScope();
        var idx = order.narrow(0, start, length);
        var raw = OnDevice(Dataset.Images.index_select(0, idx));
        var labels = OnDevice(Dataset.Labels.index_select(0, idx));
        if (Augmentation is not null)
        {
            using var generator = new Generator(augmentationSeed ?? 0, CPU);
            var flips = Augmentation.AlternateFlips ? Augmentation.FlipsOf(idx, Dataset.Count, epoch) : null;
            raw = Augmentation.Apply(raw, generator, flips);
        }
        var images = Normalization.Apply(raw);
        return new Batch(images.DetachFromDisposeScope(), labels.DetachFromDisposeScope());
    }

    Tensor OnDevice(Tensor t) => t.device == Device ? t : t.to(Device);

    bool _disposed;

    void ThrowIfUnusable()
    {
        if (_disposed)
            throw new ObjectDisposedException(nameof(BatchLoader),
                "This BatchLoader was disposed (a using block around it ended, or Dispose was called), and its shuffling generator " +
                "with it. Make a new one: new BatchLoader(dataset, batchSize, shuffle, normalization).");
        if (Dataset.IsDisposed)
            throw new ObjectDisposedException(nameof(ImageDataset),
                "This BatchLoader's dataset was disposed, so it has no images to give. Load the data again and make a new loader on it.");
    }

    /// <summary>Disposes the generator; the dataset and augmentation stay with their owners.</summary>
    public void Dispose()
    {
        _disposed = true;
        Generator.Dispose();
    }
}

/// <summary>
/// One epoch of a <see cref="BatchLoader"/>, fixed when it begins: the order it visits the images in, and the seed its
/// augmentation derives each chunk's from. Holding it, an epoch can be continued from any batch, the same as if it never stopped.
/// </summary>
public sealed class EpochPlan(Tensor order, long? augmentationSeed, long number = 0) : IDisposable
{
    /// <summary>The epoch's 0-based number (alternating flips mirror one half of the images in even epochs, the other in odd).</summary>
    public long Number { get; } = number;

    /// <summary>Indices of the images in visiting order.</summary>
    public Tensor Order { get; } = order;

    /// <summary>The augmentation's seed for this epoch (null when the loader does not augment).</summary>
    public long? AugmentationSeed { get; } = augmentationSeed;

    /// <summary>The seed of chunk <paramref name="chunk"/>'s augmentation (null when the loader does not augment).</summary>
    public ulong? AugmentationSeedOf(int chunk) => AugmentationSeed is { } s ? unchecked((ulong)s * 1_000_003UL + (ulong)chunk) : null;

    public void Dispose() => Order.Dispose();
}

using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>One mini-batch: normalized float32 images [B, C, H, W] and int64 labels [B], on the loader's device.</summary>
public sealed class Batch : IDisposable
{
    readonly Tensor _images, _labels;
    bool _disposed;

    /// <summary>Normalized float32 images [B, C, H, W].</summary>
    /// <exception cref="ObjectDisposedException">The batch was disposed (a loader's loop moved past it).</exception>
    public Tensor Images => _disposed ? throw Disposed() : _images;

    /// <summary>Class indices, int64 [B].</summary>
    /// <exception cref="ObjectDisposedException">The batch was disposed (a loader's loop moved past it).</exception>
    public Tensor Labels => _disposed ? throw Disposed() : _labels;

    /// <summary>Whether the batch was disposed (its loader's loop moved past it, or Dispose was called).</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Number of images in the batch.</summary>
    public long Size => Labels.shape[0];

    /// <summary>Takes ownership of both tensors.</summary>
    public Batch(Tensor images, Tensor labels)
    {
        _images = images;
        _labels = labels;
    }

    static ObjectDisposedException Disposed() => new(nameof(Batch),
        "This batch is gone: a BatchLoader frees each batch of a loop when the loop moves on to the next one. To keep a batch, " +
        "take it with loader.GetBatch(i) (yours to keep), or clone its tensors inside the loop (batch.Images.clone()).");

    /// <summary>Lets a batch be written as <c>var (images, labels) = batch;</c>.</summary>
    public void Deconstruct(out Tensor images, out Tensor labels)
    {
        images = Images;
        labels = Labels;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _images.Dispose();
        _labels.Dispose();
    }
}

using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>One mini-batch: normalized float32 images [B, C, H, W] and int64 labels [B], on the loader's device.</summary>
public sealed class Batch : IDisposable
{
    /// <summary>Normalized float32 images [B, C, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>Class indices, int64 [B].</summary>
    public Tensor Labels { get; }

    /// <summary>Number of images in the batch.</summary>
    public long Size => Labels.shape[0];

    /// <summary>Takes ownership of both tensors.</summary>
    public Batch(Tensor images, Tensor labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>Lets a batch be written as <c>var (images, labels) = batch;</c>.</summary>
    public void Deconstruct(out Tensor images, out Tensor labels)
    {
        images = Images;
        labels = Labels;
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

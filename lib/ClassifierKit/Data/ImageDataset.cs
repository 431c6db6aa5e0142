using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>A whole image-classification split held once in memory: uint8 images [N, C, H, W] and int64 labels [N].</summary>
public sealed class ImageDataset : IDisposable
{
    /// <summary>Raw pixels, uint8, [N, C, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>Class indices, int64, [N].</summary>
    public Tensor Labels { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Number of images.</summary>
    public long Count => Labels.shape[0];

    /// <summary>Takes ownership of <paramref name="images"/> and <paramref name="labels"/>.</summary>
    public ImageDataset(Tensor images, Tensor labels, IReadOnlyList<string> classes)
    {
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException($"images must be uint8 [N, C, H, W], got {images.dtype} [{string.Join(", ", images.shape)}]");
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"labels must be int64 [{images.shape[0]}], got {labels.dtype} [{string.Join(", ", labels.shape)}]");
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        Classes = classes;
    }

    /// <summary>The first <paramref name="count"/> images (a copy), e.g. for a quick profile.</summary>
    public ImageDataset Take(long count)
    {
        count = Math.Min(count, Count);
        return new ImageDataset(Images[..(int)count].clone(), Labels[..(int)count].clone(), Classes);
    }

    /// <summary>The same data on another device (a copy), e.g. to keep a whole dataset on the GPU.</summary>
    public ImageDataset To(Device device) => new(Images.to(device), Labels.to(device), Classes);

    /// <summary>Number of images per class, in label order.</summary>
    public long[] ClassCounts()
    {
        using var counts = Labels.cpu().bincount(null, Classes.Count);
        return counts.data<long>().ToArray();
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

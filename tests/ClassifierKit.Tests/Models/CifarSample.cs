using ClassifierKit.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Models;

/// <summary>The first 64 images of CIFAR-10's data_batch_1.bin.</summary>
internal static class CifarSample
{
    public const int Count = 64;

    /// <summary>Images normalized to [-1, 1], float32 [64, 3, 32, 32], and int64 labels [64].</summary>
    public static (Tensor images, Tensor labels) Load()
    {
        using var rows = TestKit.CifarRows("data_batch_1.bin", Count);
        return (Normalization.Half().Apply(rows.Images), rows.Labels.clone());
    }

    /// <summary>The same images as one grayscale channel, centre-cropped to 28x28 (Fashion-MNIST's shape).</summary>
    public static Tensor Gray28(Tensor images)
    {
        using var scope = NewDisposeScope();
        return images.mean([1], keepdim: true)[.., .., 2..30, 2..30].contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The same images average-pooled to 16x16, a quarter of the compute for the big convnets.</summary>
    public static Tensor Half16(Tensor images) => nn.functional.avg_pool2d(images, 2);
}

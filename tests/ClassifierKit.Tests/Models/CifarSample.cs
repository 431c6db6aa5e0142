using ClassifierKit.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Models;

/// <summary>The first 64 images of CIFAR-10's data_batch_1.bin, read directly (the official reader lives elsewhere).</summary>
internal static class CifarSample
{
    public const int Count = 64;
    private const int RowBytes = 1 + 3 * 32 * 32;   // label byte, then R, G, B planes of 32x32

    private static readonly Lazy<byte[]> Rows = new(ReadRows);

    /// <summary>Images normalized to [-1, 1], float32 [64, 3, 32, 32], and int64 labels [64].</summary>
    public static (Tensor images, Tensor labels) Load()
    {
        var rows = Rows.Value;
        var labels = new long[Count];
        var pixels = new byte[Count * (RowBytes - 1)];
        for (var i = 0; i < Count; i++)
        {
            labels[i] = rows[i * RowBytes];
            Array.Copy(rows, i * RowBytes + 1, pixels, i * (RowBytes - 1), RowBytes - 1);
        }
        using var raw = tensor(pixels, [Count, 3, 32, 32]);
        return (Normalization.Half().Apply(raw), tensor(labels));
    }

    /// <summary>The same images as one grayscale channel, centre-cropped to 28x28 (Fashion-MNIST's shape).</summary>
    public static Tensor Gray28(Tensor images)
    {
        using var scope = NewDisposeScope();
        return images.mean([1], keepdim: true)[.., .., 2..30, 2..30].contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The same images average-pooled to 16x16, a quarter of the compute for the big convnets.</summary>
    public static Tensor Half16(Tensor images) => nn.functional.avg_pool2d(images, 2);

    private static byte[] ReadRows()
    {
        var file = Path.Combine(FindDirectory(), "data_batch_1.bin");
        if (!File.Exists(file))
            throw new FileNotFoundException($"CIFAR-10 batch not found: {file}");
        using var stream = File.OpenRead(file);
        var buffer = new byte[Count * RowBytes];
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static string FindDirectory()
    {
        var fromEnv = Environment.GetEnvironmentVariable("CIFAR10_DIR");
        if (!string.IsNullOrEmpty(fromEnv))
            return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "CIFAR10", "cifar-10-batches-bin");
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException(
            $"CIFAR-10 binary batches not found: set CIFAR10_DIR or put data/CIFAR10/cifar-10-batches-bin above {AppContext.BaseDirectory}");
    }
}

using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>Per-channel mean and standard deviation applied to pixels scaled to [0, 1].</summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    /// <summary>The blog's choice: mean 0.5 and std 0.5 on every channel, mapping [0, 1] to [-1, 1].</summary>
    public static Normalization Half(int channels = 3) =>
        new(Enumerable.Repeat(0.5f, channels).ToArray(), Enumerable.Repeat(0.5f, channels).ToArray());

    /// <summary>CIFAR-10's training-set channel means and standard deviations (RGB): zero mean, unit variance per channel.</summary>
    public static Normalization Cifar10() =>
        new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]);

    // The per-channel factors as tensors, made once per device: building them on every call cost more than the
    // arithmetic for small batches.
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Tensor Scale, Tensor Shift)> _factors = new();

    /// <summary>uint8 [N, C, H, W] to normalized float32 in two passes: a cast, then x * (1 / (255 std)) - mean / std in place.</summary>
    public Tensor Apply(Tensor images)
    {
        var c = images.shape[1];
        if (c != Mean.Length)
            throw new ArgumentException($"images have {c} channels but the normalization has {Mean.Length}");
        var (scale, shift) = _factors.GetOrAdd(images.device.ToString(), _ =>
        {
            var sc = tensor(Std.Select(s => 1f / (255f * s)).ToArray(), device: images.device).view(1, c, 1, 1).DetachFromDisposeScope();
            var sh = tensor(Mean.Zip(Std, (m, s) => -m / s).ToArray(), device: images.device).view(1, c, 1, 1).DetachFromDisposeScope();
            return (sc, sh);
        });
        var x = images.dtype == ScalarType.Float32 ? images.clone() : images.to(ScalarType.Float32);
        return x.mul_(scale).add_(shift);
    }

    /// <summary>Undoes <see cref="Apply"/> for display: float [N, C, H, W] back to [0, 1].</summary>
    public Tensor Invert(Tensor normalized)
    {
        using var scope = NewDisposeScope();
        var c = normalized.shape[1];
        var std = tensor(Std, device: normalized.device).view(1, c, 1, 1);
        var mean = tensor(Mean, device: normalized.device).view(1, c, 1, 1);
        return (normalized * std + mean).clamp(0, 1).MoveToOuterDisposeScope();
    }
}

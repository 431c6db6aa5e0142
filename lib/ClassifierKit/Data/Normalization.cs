using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>
/// Per-channel mean and standard deviation, like TorchVision's <c>ToTensor()</c> + <c>Normalize(mean, std)</c>: uint8 pixels
/// are first scaled to [0, 1], float pixels are taken to be in [0, 1] already, then (x - mean) / std per channel.
/// </summary>
public sealed class Normalization
{
    readonly float[] _mean, _std;
    // The per-channel factors as tensors, made once per device: building them on every call cost more than the
    // arithmetic for small batches. Each instance has its own cache, and the values never change after construction.
    readonly ConcurrentDictionary<string, (Tensor Scale, Tensor Shift)> _factors = new();

    /// <summary>Per-channel mean (of pixels in [0, 1]).</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>Per-channel standard deviation (of pixels in [0, 1]).</summary>
    public IReadOnlyList<float> Std => _std;

    /// <summary>One mean and one positive standard deviation per channel; the arrays are copied.</summary>
    public Normalization(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (mean.Count == 0 || mean.Count != std.Count)
            throw new ArgumentException(
                $"Normalization needs one mean and one std per channel, got {mean.Count} mean(s) and {std.Count} std(s); pass the same number of each (3 for RGB).");
        for (int i = 0; i < std.Count; i++)
            if (!(std[i] > 0) || !float.IsFinite(std[i]))
                throw new ArgumentException(
                    $"std[{i}] is {std[i]}, but every std must be a positive finite number (dividing by it would give NaN or infinity). " +
                    "Use 0.5 for the blog's normalization.", nameof(std));
        if (mean.Any(m => !float.IsFinite(m)))
            throw new ArgumentException($"every mean must be a finite number, got [{string.Join(", ", mean)}]", nameof(mean));
        _mean = mean.ToArray();
        _std = std.ToArray();
    }

    /// <summary>Number of channels.</summary>
    public int Channels => _mean.Length;

    /// <summary>The blog's choice: mean 0.5 and std 0.5 on every channel, mapping [0, 1] to [-1, 1].</summary>
    public static Normalization Half(int channels = 3) =>
        new(Enumerable.Repeat(0.5f, channels).ToArray(), Enumerable.Repeat(0.5f, channels).ToArray());

    /// <summary>CIFAR-10's training-set channel means and standard deviations (RGB): zero mean, unit variance per channel.</summary>
    public static Normalization Cifar10() =>
        new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]);

    /// <summary>
    /// Normalized float32 images: [N, C, H, W] (or one image [C, H, W]), uint8 in 0..255 or float in [0, 1].
    /// Two passes: a cast, then x * scale + shift in place.
    /// </summary>
    public Tensor Apply(Tensor images)
    {
        var c = ChannelsOf(images);
        var (scale, shift) = Factors(images.device, images.dtype == ScalarType.Byte ? 255f : 1f);
        var x = images.dtype == ScalarType.Float32 ? images.clone() : images.to(ScalarType.Float32);
        if (images.dim() == 3) return x.mul_(scale.view(c, 1, 1)).add_(shift.view(c, 1, 1));
        return x.mul_(scale).add_(shift);
    }

    /// <summary>Undoes <see cref="Apply"/> for display: normalized float [N, C, H, W] or [C, H, W] back to [0, 1].</summary>
    public Tensor Invert(Tensor normalized)
    {
        var c = ChannelsOf(normalized);
        using var scope = NewDisposeScope();
        var shape = normalized.dim() == 3 ? new long[] { c, 1, 1 } : [1, c, 1, 1];
        var std = tensor(_std, device: normalized.device).view(shape);
        var mean = tensor(_mean, device: normalized.device).view(shape);
        return (normalized.to(ScalarType.Float32) * std + mean).clamp(0, 1).MoveToOuterDisposeScope();
    }

    int ChannelsOf(Tensor images)
    {
        if (images.dim() is not (3 or 4))
            throw new ArgumentException(
                $"expected images [N, C, H, W] or one image [C, H, W], got shape [{string.Join(", ", images.shape)}]", nameof(images));
        var c = images.shape[images.dim() - 3];
        if (c != Channels)
            throw new ArgumentException(
                $"the images have {c} channels (shape [{string.Join(", ", images.shape)}], channels at dimension {images.dim() - 3}) " +
                $"but this normalization has {Channels}; use Normalization.Half({c}) or pass {c} means and stds.", nameof(images));
        return (int)c;
    }

    (Tensor Scale, Tensor Shift) Factors(Device device, float range) =>
        _factors.GetOrAdd($"{device}/{range}", _ =>
        {
            int c = Channels;
            var scale = tensor(_std.Select(s => 1f / (range * s)).ToArray(), device: device).view(1, c, 1, 1).DetachFromDisposeScope();
            var shift = tensor(_mean.Zip(_std, (m, s) => -m / s).ToArray(), device: device).view(1, c, 1, 1).DetachFromDisposeScope();
            return (scale, shift);
        });

    /// <summary>E.g. <c>Normalization(mean [0.5, 0.5, 0.5], std [0.5, 0.5, 0.5])</c>.</summary>
    public override string ToString() => $"Normalization(mean [{string.Join(", ", _mean)}], std [{string.Join(", ", _std)}])";
}

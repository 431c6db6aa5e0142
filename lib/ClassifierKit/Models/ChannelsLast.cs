using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClassifierKit.Models;

/// <summary>
/// The channels-last (NHWC) memory layout, which TorchSharp 0.107 has no API for: a tensor with NHWC strides is made with
/// empty_strided and filled by copy_. libtorch's convolutions follow the layout of their input and weight, and on the CPU
/// oneDNN runs NHWC without reordering. Measured on this project's 2-core CPU (ResNet-9 width 16, batch 512): about 1.6x
/// faster training and 2x faster inference than the default NCHW layout.
/// </summary>
public static class ChannelsLast
{
    /// <summary>Whether a 4-d tensor is laid out channels-last (channel stride 1).</summary>
    public static bool Is(Tensor t) =>
        t.dim() == 4 && t.shape[1] > 1 && t.stride(1) == 1 && t.stride(3) == t.shape[1];

    /// <summary>A channels-last copy of a 4-d tensor [N, C, H, W] (the same tensor when it already is channels-last; other ranks pass through).</summary>
    public static Tensor Of(Tensor t)
    {
        if (t.dim() != 4 || Is(t)) return t;
        long n = t.shape[0], c = t.shape[1], h = t.shape[2], w = t.shape[3];
        var result = empty_strided([n, c, h, w], [h * w * c, 1, w * c, c], dtype: t.dtype, device: t.device);
        result.copy_(t);
        return result;
    }

    /// <summary>Switches every Conv2d weight of <paramref name="model"/> to channels-last; call it before creating the optimizer.</summary>
    public static void Apply(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var conv in model.modules().OfType<Conv2d>())
        {
            var weight = conv.weight!;
            if (Is(weight)) continue;
            conv.weight = new Parameter(Of(weight.detach()), weight.requires_grad);
        }
    }
}

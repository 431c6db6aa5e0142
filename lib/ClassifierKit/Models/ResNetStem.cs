using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>The blog's "Bag of Tricks" stem: a chain of 3x3 <see cref="BaseConv"/>s (the first with stride 2) and a 3x3 stride-2 max pool.</summary>
public static class ResNetStem
{
    /// <summary>Like the blog's <c>_resnet_stem(*sizes)</c>: <c>Build(3, 32, 32, 64)</c> gives 3->32 (stride 2), 32->32, 32->64, max pool.</summary>
    public static Sequential Build(params int[] sizes)
    {
        if (sizes.Length < 2)
            throw new ArgumentException("a stem needs at least an input and an output channel count", nameof(sizes));
        var layers = new List<Module<Tensor, Tensor>>();
        for (var i = 0; i < sizes.Length - 1; i++)
            layers.Add(new BaseConv(sizes[i], sizes[i + 1], 3, stride: i == 0 ? 2 : 1));
        layers.Add(MaxPool2d(3, stride: 2, padding: 1));
        return Sequential(layers.ToArray());
    }
}

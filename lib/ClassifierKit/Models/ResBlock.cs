using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>The basic residual block of ResNet-18/34: relu(residual_function(x) + selfconv(x)).</summary>
public sealed class ResBlock : Module<Tensor, Tensor>
{
    private readonly Sequential residual_function;
    private readonly Sequential selfconv;

    /// <summary>Maps inChannels to outChannels; the first conv (and the shortcut) use the given stride. With resnetD a downsampling shortcut average-pools, then applies a stride-1 1x1 conv, so no input pixel is skipped.</summary>
    public ResBlock(int inChannels, int outChannels, int stride = 1, bool resnetD = false) : base(nameof(ResBlock))
    {
        residual_function = Sequential(
            Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false),
            BatchNorm2d(outChannels),
            ReLU(inplace: true),
            Conv2d(outChannels, outChannels, 3, padding: 1, bias: false),
            BatchNorm2d(outChannels));

        if (stride == 1 && inChannels == outChannels)
            selfconv = Sequential();   // identity shortcut; kept as a module so keys and printing match PyTorch
        else if (resnetD && stride != 1)
            selfconv = Sequential(
                AvgPool2d(stride, stride: stride, ceil_mode: true, count_include_pad: false),
                Conv2d(inChannels, outChannels, 1, stride: 1, bias: false),
                BatchNorm2d(outChannels));
        else
            selfconv = Sequential(
                Conv2d(inChannels, outChannels, 1, stride: stride, bias: false),
                BatchNorm2d(outChannels));
        RegisterComponents();
    }

    /// <summary>relu(residual_function(x) + selfconv(x)).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var sum = residual_function.call(x).add_(selfconv.call(x));
        return functional.relu(sum, inplace: true).MoveToOuterDisposeScope();
    }
}

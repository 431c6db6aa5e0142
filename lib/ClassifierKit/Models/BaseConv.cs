using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>The blog's conv, batch-norm, ReLU unit (fields conv, batchnorm, relu); the conv keeps its bias and has no padding unless asked.</summary>
public sealed class BaseConv : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d batchnorm;
    private readonly ReLU relu;

    /// <summary>A kernelSize x kernelSize convolution from inputChannels to outputChannels, then batch norm and ReLU.</summary>
    public BaseConv(int inputChannels, int outputChannels, int kernelSize, int stride = 1, int padding = 0) : base(nameof(BaseConv))
    {
        conv = Conv2d(inputChannels, outputChannels, kernelSize, stride: stride, padding: padding);
        batchnorm = BatchNorm2d(outputChannels);
        relu = ReLU(inplace: true);
        RegisterComponents();
    }

    /// <summary>relu(batchnorm(conv(x))).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return relu.call(batchnorm.call(conv.call(x))).MoveToOuterDisposeScope();
    }
}

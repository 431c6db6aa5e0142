using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>Channel widths and head of <see cref="ResNet9"/>; the defaults are the classic 64/128/256/512 ResNet-9 (6.57 M parameters).</summary>
/// <param name="Prep">Channels of the first conv.</param>
/// <param name="Layer1">Channels of stage 1 (pooled to 16x16, with a residual pair).</param>
/// <param name="Layer2">Channels of stage 2 (pooled to 8x8).</param>
/// <param name="Layer3">Channels of stage 3 (pooled to 4x4, with a residual pair).</param>
/// <param name="NumClasses">Outputs.</param>
/// <param name="OutputScale">Multiplies the logits; 0.125 keeps the early softmax soft, which lets a high learning rate work.</param>
/// <param name="ChannelsLast">Keeps conv weights and activations in the NHWC layout (see <see cref="Models.ChannelsLast"/>): faster on the CPU, same results.</param>
public sealed record ResNet9Options(int Prep = 64, int Layer1 = 128, int Layer2 = 256, int Layer3 = 512, int NumClasses = 10, double OutputScale = 0.125,
    bool ChannelsLast = false)
{
    /// <summary>Widths w, 2w, 4w, 8w: Width(64) is the default, Width(32) costs about a quarter of the compute.</summary>
    public static ResNet9Options Width(int w, int numClasses = 10) => new(w, 2 * w, 4 * w, 8 * w, numClasses);
}

/// <summary>A small fast CIFAR-10 network (the DAWNBench "ResNet-9"): conv-BN-ReLU stages with max pooling, two residual pairs, max-pooled head.</summary>
public sealed class ResNet9 : Module<Tensor, Tensor>
{
    private readonly Sequential prep;
    private readonly Sequential layer1;
    private readonly Sequential res1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential res3;
    private readonly AdaptiveMaxPool2d pool;
    private readonly Linear fc;
    private readonly double outputScale;

    /// <summary>The settings this network was built with.</summary>
    public ResNet9Options Options { get; }

    /// <summary>Builds the network; null options give the standard widths.</summary>
    public ResNet9(ResNet9Options? options = null) : base(nameof(ResNet9))
    {
        Options = options ?? new ResNet9Options();
        var o = Options;
        if (new[] { o.Prep, o.Layer1, o.Layer2, o.Layer3, o.NumClasses }.Any(w => w < 1))
            throw new ArgumentOutOfRangeException(nameof(options), o, "every ResNet-9 width and NumClasses must be at least 1.");
        prep = ConvBnRelu(3, o.Prep);
        layer1 = ConvBnRelu(o.Prep, o.Layer1, pool: true);
        res1 = Sequential(ConvBnRelu(o.Layer1, o.Layer1), ConvBnRelu(o.Layer1, o.Layer1));
        layer2 = ConvBnRelu(o.Layer1, o.Layer2, pool: true);
        layer3 = ConvBnRelu(o.Layer2, o.Layer3, pool: true);
        res3 = Sequential(ConvBnRelu(o.Layer3, o.Layer3), ConvBnRelu(o.Layer3, o.Layer3));
        pool = AdaptiveMaxPool2d([1, 1]);
        fc = Linear(o.Layer3, o.NumClasses, hasBias: false);
        outputScale = o.OutputScale;
        RegisterComponents();
        if (o.ChannelsLast) Models.ChannelsLast.Apply(this);
    }

    private static Sequential ConvBnRelu(int cin, int cout, bool pool = false) =>
        pool
            ? Sequential(Conv2d(cin, cout, 3, padding: 1, bias: false), BatchNorm2d(cout), ReLU(inplace: true), MaxPool2d(2))
            : Sequential(Conv2d(cin, cout, 3, padding: 1, bias: false), BatchNorm2d(cout), ReLU(inplace: true));

    /// <summary>[N, 3, H, W] images to [N, NumClasses] logits.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (Options.ChannelsLast) x = Models.ChannelsLast.Of(x);
        x = layer1.call(prep.call(x));
        x = x + res1.call(x);
        x = layer3.call(layer2.call(x));
        x = x + res3.call(x);
        x = pool.call(x).flatten(1);
        return fc.call(x).mul_(outputScale).MoveToOuterDisposeScope();
    }
}

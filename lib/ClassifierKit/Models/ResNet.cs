using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>The blog's CIFAR ResNet built from <see cref="ResBlock"/>s: 3x3 input conv, four stages (64/128/256/512 by default), global average pool, linear.</summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    // Declaration order is registration order, which fixes the state_dict order: conv0 first, as in the blog.
    private readonly Sequential? conv0;
    private readonly Sequential conv1;
    private readonly Sequential conv2_x;
    private readonly Sequential conv3_x;
    private readonly Sequential conv4_x;
    private readonly Sequential conv5_x;
    private readonly AdaptiveAvgPool2d avg_pool;
    private readonly Linear fc;

    /// <summary>The settings this network was built with.</summary>
    public ResNetOptions Options { get; }

    /// <summary>numBlocks = residual blocks per stage, e.g. [2, 2, 2, 2] for ResNet-18.</summary>
    public ResNet(IReadOnlyList<int> numBlocks, ResNetOptions? options = null) : base(nameof(ResNet))
    {
        if (numBlocks.Count != 4 || numBlocks.Any(n => n < 1))
            throw new ArgumentException(
                $"a ResNet has four stages of at least one block each, e.g. [2, 2, 2, 2] for ResNet-18; got [{string.Join(", ", numBlocks)}].", nameof(numBlocks));
        Options = options ?? new ResNetOptions();
        if (Options.BaseWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(options), Options.BaseWidth, "BaseWidth must be at least 1 channel (the blog's is 64; multiples of 16 suit oneDNN).");
        if (Options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), Options.NumClasses, "NumClasses must be at least 1.");

        if (Options.UseStem)
            conv0 = ResNetStem.Build(3, 32, 32, Options.BaseWidth);
        int w = Options.BaseWidth;
        conv1 = Sequential(
            Conv2d(3, w, 3, padding: 1, bias: false),
            BatchNorm2d(w),
            ReLU(inplace: true));

        // CIFAR images are small, so the first stage keeps the resolution (stride 1) unlike ImageNet ResNets.
        var inChannels = w;
        conv2_x = MakeLayer(ref inChannels, w, numBlocks[0], 1);
        conv3_x = MakeLayer(ref inChannels, 2 * w, numBlocks[1], 2);
        conv4_x = MakeLayer(ref inChannels, 4 * w, numBlocks[2], 2);
        conv5_x = MakeLayer(ref inChannels, 8 * w, numBlocks[3], 2);

        avg_pool = AdaptiveAvgPool2d(1);
        fc = Linear(8 * w, Options.NumClasses);
        RegisterComponents();
        if (Options.ChannelsLast) Models.ChannelsLast.Apply(this);
    }

    /// <summary>ResNet-18 (2, 2, 2, 2 blocks), as the blog's resnet18(); 11,173,962 parameters for 10 classes.</summary>
    public static ResNet resnet18(int numClasses = 10) => resnet18(new ResNetOptions(NumClasses: numClasses));

    /// <summary>ResNet-18 with the given options.</summary>
    public static ResNet resnet18(ResNetOptions options) => new([2, 2, 2, 2], options);

    /// <summary>ResNet-34 (3, 4, 6, 3 blocks), as the blog's resnet34(); 21,282,122 parameters for 10 classes.</summary>
    public static ResNet resnet34(int numClasses = 10) => resnet34(new ResNetOptions(NumClasses: numClasses));

    /// <summary>ResNet-34 with the given options.</summary>
    public static ResNet resnet34(ResNetOptions options) => new([3, 4, 6, 3], options);

    // One stage: the first block may downsample, the rest keep the shape.
    private Sequential MakeLayer(ref int inChannels, int outChannels, int blocks, int stride)
    {
        var layers = new Module<Tensor, Tensor>[blocks];
        for (var i = 0; i < blocks; i++)
        {
            layers[i] = new ResBlock(inChannels, outChannels, i == 0 ? stride : 1, Options.ResNetD);
            inChannels = outChannels;
        }
        return Sequential(layers);
    }

    /// <summary>[N, 3, H, W] images to [N, NumClasses] logits.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (Options.ChannelsLast) x = Models.ChannelsLast.Of(x);
        x = conv0 is not null ? conv0.call(x) : conv1.call(x);
        x = conv5_x.call(conv4_x.call(conv3_x.call(conv2_x.call(x))));
        x = avg_pool.call(x).flatten(1);
        return fc.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Loads a checkpoint of the blog's ResNet, which always carries <c>conv0.*</c> keys. With UseStem every key must match;
    /// without it exactly the <c>conv0.*</c> keys are ignored (and listed in the result). Anything else that is missing,
    /// unexpected or misshaped throws <see cref="StateDictMismatchException"/> before any tensor is copied.
    /// </summary>
    public StateDictLoadResult LoadBlogStateDict(Dictionary<string, Tensor> stateDict) =>
        this.LoadStateDictChecked(stateDict, Options.UseStem ? null : key => key.StartsWith("conv0.", StringComparison.Ordinal));

    /// <summary>As <see cref="LoadBlogStateDict(Dictionary{string, Tensor})"/>, from a file in TorchSharp's format (Module.save, or PyTorch's exportsd.py).</summary>
    public StateDictLoadResult LoadBlogStateDict(string path)
    {
        var stateDict = StateDicts.Read(path);
        try { return this.LoadStateDictChecked(stateDict, Options.UseStem ? null : key => key.StartsWith("conv0.", StringComparison.Ordinal), path); }
        finally { foreach (var t in stateDict.Values) t.Dispose(); }
    }
}

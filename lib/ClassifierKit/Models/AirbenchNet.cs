using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>Widths of <see cref="AirbenchNet"/>; the defaults are airbench93's 24/64/128/128.</summary>
/// <param name="Whitening">Channels of the fixed 2x2 whitening convolution: airbench's 24 are the 12 eigenvectors of the 2x2x3
/// patch covariance and their negations; wider layers add the strongest ones again. 24 trains 4-8% faster than 32 where oneDNN
/// is right (measured on an AMD EPYC with AVX-512 and AVX512-BF16, 2 cores, AirbenchNet at batch 512); on a CPU where oneDNN's
/// forward bug makes a convolution over 24 channels wrong, <see cref="ForThisCpu"/> widens it to 32 (see
/// <see cref="Platform.OneDnn"/>).</param>
/// <param name="Block1">Channels of the first conv group.</param>
/// <param name="Block2">Channels of the second.</param>
/// <param name="Block3">Channels of the third.</param>
/// <param name="NumClasses">Outputs.</param>
/// <param name="ChannelsLast">NHWC layout for the convolutions (see <see cref="Models.ChannelsLast"/>): faster on the CPU, same results.</param>
public sealed record AirbenchOptions(int Whitening = 24, int Block1 = 64, int Block2 = 128, int Block3 = 128, int NumClasses = 10, bool ChannelsLast = true)
{
    /// <summary>airbench94's widths (64/256/256): about twice the compute of the default for about one more point.</summary>
    public static AirbenchOptions Wide => new(Block2: 256, Block3: 256);

    /// <summary>
    /// These options, with a whitening width that is off oneDNN's 16-channel grid rounded up onto it where the probe found
    /// oneDNN's forward convolution bug on this CPU (the whole network would otherwise run without oneDNN, several times slower);
    /// elsewhere these options unchanged.
    /// </summary>
    public AirbenchOptions ForThisCpu() =>
        Whitening > 16 && Whitening % 16 != 0 && Platform.OneDnn.ForwardBug.Present ? this with { Whitening = (Whitening + 15) / 16 * 16 } : this;
}

/// <summary>
/// The network of Keller Jordan's airbench (arXiv 2404.00498), which trains to 93-94% on CIFAR-10 in seconds on a GPU: a fixed
/// 2x2 whitening convolution computed from the training images, then three groups of conv-pool-BN-GELU-conv-BN-GELU without
/// residuals, a max pool, and a linear head scaled by 1/9. Batch norms learn only their shift (their scale is fixed at 1),
/// with momentum 0.4 and eps 1e-12, and every 3x3 convolution starts as a partial identity.
/// </summary>
public sealed class AirbenchNet : Module<Tensor, Tensor>
{
    private readonly Conv2d whiten;
    private readonly GELU activation;
    private readonly ConvGroup block1;
    private readonly ConvGroup block2;
    private readonly ConvGroup block3;
    private readonly MaxPool2d pool;
    private readonly Linear head;

    /// <summary>The settings this network was built with.</summary>
    public AirbenchOptions Options { get; }

    /// <summary>The whitening layer, whose weights <see cref="InitWhitening"/> sets from data and whose bias trains only early on.</summary>
    public Conv2d Whitening => whiten;

    /// <summary>Builds the network; call <see cref="InitWhitening"/> before training.</summary>
    public AirbenchNet(AirbenchOptions? options = null) : base(nameof(AirbenchNet))
    {
        Options = options ?? new AirbenchOptions();
        var o = Options;
        if (new[] { o.Whitening, o.Block1, o.Block2, o.Block3, o.NumClasses }.Any(w => w < 1) || o.Whitening < 24)
            throw new ArgumentOutOfRangeException(nameof(options), o, "AirbenchNet needs Whitening >= 24 (2 x 12 patch dimensions) and positive widths.");
        whiten = Conv2d(3, o.Whitening, 2, bias: true);
        whiten.weight!.requires_grad = false;
        activation = GELU();
        block1 = new ConvGroup(o.Whitening, o.Block1);
        block2 = new ConvGroup(o.Block1, o.Block2);
        block3 = new ConvGroup(o.Block2, o.Block3);
        pool = MaxPool2d(3);
        head = Linear(o.Block3, o.NumClasses, hasBias: false);
        RegisterComponents();
        if (o.ChannelsLast) Models.ChannelsLast.Apply(this);
    }

    /// <summary>
    /// Sets the whitening filters from normalized training images [N, 3, H, W]: the eigenvectors of the covariance of their
    /// 2x2 patches, each scaled by 1 / sqrt(eigenvalue + eps), then their negations (and the strongest ones again up to the
    /// layer's width). The layer then maps patches to roughly uncorrelated unit-variance features.
    /// </summary>
    public void InitWhitening(Tensor images, double eps = 5e-4)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = images.to(ScalarType.Float32);
        long c = x.shape[1];
        var patches = x.unfold(2, 2, 1).unfold(3, 2, 1).transpose(1, 3).reshape(-1, c * 4);   // [patches, 12]
        var covariance = patches.T.matmul(patches) / patches.shape[0];
        var (values, vectors) = linalg.eigh(covariance);                                      // ascending
        var filters = (vectors.T.flip(0) / (values.flip(0) + eps).sqrt().view(-1, 1)).reshape(c * 4, c, 2, 2);
        var both = cat([filters, -filters]);
        int extra = Options.Whitening - (int)both.shape[0];
        var weight = extra > 0 ? cat([both, filters[..(extra / 2)], -filters[..(extra - extra / 2)]]) : both[..Options.Whitening];
        whiten.weight!.copy_(weight);
        whiten.bias!.zero_();
    }

    /// <summary>[N, 3, 32, 32] normalized images to [N, NumClasses] logits.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (Options.ChannelsLast) x = Models.ChannelsLast.Of(x);
        x = activation.call(whiten.call(x));
        x = block3.call(block2.call(block1.call(x)));
        x = pool.call(x).flatten(1);
        return head.call(x).mul_(1.0 / 9).MoveToOuterDisposeScope();
    }

    /// <summary>conv 3x3, max pool 2, BN, GELU, conv 3x3, BN, GELU.</summary>
    private sealed class ConvGroup : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly MaxPool2d pool;
        private readonly BatchNorm2d norm1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d norm2;
        private readonly GELU activ;

        public ConvGroup(int channelsIn, int channelsOut) : base(nameof(ConvGroup))
        {
            conv1 = IdentityStart(Conv2d(channelsIn, channelsOut, 3, padding: 1, bias: false));
            pool = MaxPool2d(2);
            norm1 = ShiftOnly(BatchNorm2d(channelsOut, eps: 1e-12, momentum: 0.4));
            conv2 = IdentityStart(Conv2d(channelsOut, channelsOut, 3, padding: 1, bias: false));
            norm2 = ShiftOnly(BatchNorm2d(channelsOut, eps: 1e-12, momentum: 0.4));
            activ = GELU();
            RegisterComponents();
        }

        // The first in_channels filters start as the identity (airbench's dirac_ init): early training passes signal through.
        static Conv2d IdentityStart(Conv2d conv)
        {
            using var noGrad = no_grad();
            var w = conv.weight!;
            init.dirac_(w[..(int)Math.Min(w.shape[0], w.shape[1])]);
            return conv;
        }

        static BatchNorm2d ShiftOnly(BatchNorm2d bn)
        {
            bn.weight!.requires_grad = false;
            return bn;
        }

        public override Tensor forward(Tensor x)
        {
            x = pool.call(conv1.call(x));
            x = activ.call(norm1.call(x));
            x = activ.call(norm2.call(conv2.call(x)));
            return x;
        }
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>
/// Floating-point operations per image, counted from the model: one forward pass of a few images with a hook on every
/// convolution and linear layer, each adding (output elements) x (weight elements per output channel) multiply-adds. A
/// multiply-add is 2 FLOP; a training step is counted as 3 forward passes (the backward pass computes the gradients of the
/// input and of the weights, each about one forward's work), the usual convention. Batch norm, ReLU and pooling are left out:
/// they are memory-bound and cheap in FLOP. ResNet-18 at 32x32: 0.56 GMAC, so 1.11 GFLOP forward and 3.33 GFLOP train.
/// </summary>
public static class ModelFlops
{
    static readonly Dictionary<string, long> Cache = new();

    /// <summary>Multiply-adds of one forward pass on one image of shape [C, H, W] (cached per model name and shape).</summary>
    public static long MultiplyAdds(string name, Func<nn.Module<Tensor, Tensor>> create, long[] imageShape)
    {
        var key = $"{name}/{string.Join("x", imageShape)}";
        if (Cache.TryGetValue(key, out var known)) return known;
        long macs = 0;
        using var model = create();
        model.eval();
        var hooks = new List<Action>();
        foreach (var m in model.modules())
        {
            if (m is Convolution or Linear)
            {
                var remover = ((nn.Module<Tensor, Tensor>)m).register_forward_hook((layer, input, output) =>
                {
                    var weight = layer is Convolution c ? c.weight! : ((Linear)layer).weight!;
                    macs += output.numel() * (weight.numel() / weight.shape[0]);
                    return output;
                });
                hooks.Add(remover.remove);
            }
        }
        // Several images, not one: libtorch hands a batch of one or two to NNPACK, which cannot start on this CPU and logs a
        // warning per convolution; the count is linear in the batch, so it divides out exactly.
        const int images = 8;
        using (no_grad())
        using (var scope = NewDisposeScope())
            model.forward(zeros([images, .. imageShape]));
        foreach (var remove in hooks) remove();
        return Cache[key] = macs / images;
    }

    /// <summary>FLOP per image of a row: 2 per multiply-add, times 3 when it trains (forward + backward).</summary>
    public static double PerImage(BenchmarkCase c, long[] imageShape) =>
        2.0 * MultiplyAdds(c.Model, c.CreateModel, imageShape) * (c.Trains ? 3 : 1);
}

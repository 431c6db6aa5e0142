using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>Weight initialisation schemes to compare: the blog's Xavier init and PyTorch's (and TorchSharp's) default.</summary>
/// <remarks>
/// Default (what every new Conv2d/Linear already has, since TorchSharp runs libtorch's reset_parameters):
/// kaiming_uniform_ with a = sqrt(5), i.e. weights ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), biases from the same range;
/// BatchNorm weight 1, bias 0. Xavier (Glorot) uniform instead draws weights from U(-b, b) with b = sqrt(6 / (fan_in + fan_out))
/// and zeroes the biases, as the blog's init_weights does.
/// </remarks>
public static class Init
{
    /// <summary>The blog's init_weights: Conv2d and Linear get xavier_uniform_ weights and zero biases, BatchNorm2d weight 1 and bias 0. Returns the module.</summary>
    public static T XavierInit<T>(T module) where T : Module
    {
        using var noGrad = no_grad();
        foreach (var m in SelfAndDescendants(module))
        {
            switch (m)
            {
                case Conv2d conv:
                    init.xavier_uniform_(conv.weight!);
                    if (conv.bias is not null) init.zeros_(conv.bias);
                    break;
                case Linear linear:
                    init.xavier_uniform_(linear.weight!);
                    if (linear.bias is not null) init.zeros_(linear.bias);
                    break;
                case BatchNorm2d bn:
                    init.ones_(bn.weight!);
                    init.zeros_(bn.bias!);
                    break;
            }
        }
        return module;
    }

    /// <summary>Re-draws Conv2d and Linear parameters the way PyTorch's constructors do (U(±1/sqrt(fan_in))) and resets BatchNorm2d to 1/0. Returns the module.</summary>
    public static T DefaultInit<T>(T module) where T : Module
    {
        using var noGrad = no_grad();
        foreach (var m in SelfAndDescendants(module))
        {
            switch (m)
            {
                case Conv2d conv:
                    ResetUniform(conv.weight!, conv.bias);
                    break;
                case Linear linear:
                    ResetUniform(linear.weight!, linear.bias);
                    break;
                case BatchNorm2d bn:
                    init.ones_(bn.weight!);
                    init.zeros_(bn.bias!);
                    break;
            }
        }
        return module;
    }

    /// <summary>Xavier-uniform bound sqrt(6 / (fan_in + fan_out)) for a Linear [out, in] or Conv2d [out, in, kh, kw] weight.</summary>
    public static double XavierBound(Tensor weight)
    {
        var (fanIn, fanOut) = Fans(weight);
        return Math.Sqrt(6.0 / (fanIn + fanOut));
    }

    /// <summary>PyTorch's default bound 1/sqrt(fan_in) for such a weight (and its bias).</summary>
    public static double DefaultBound(Tensor weight) => 1.0 / Math.Sqrt(Fans(weight).fanIn);

    private static void ResetUniform(Tensor weight, Tensor? bias)
    {
        // Same distribution as kaiming_uniform_(a: sqrt(5)), written out so the bound is visible.
        var bound = DefaultBound(weight);
        init.uniform_(weight, -bound, bound);
        if (bias is not null) init.uniform_(bias, -bound, bound);
    }

    private static (long fanIn, long fanOut) Fans(Tensor weight)
    {
        if (weight.dim() < 2)
            throw new ArgumentException("fan in/out need a weight with at least 2 dimensions", nameof(weight));
        var receptive = weight.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        return (weight.shape[1] * receptive, weight.shape[0] * receptive);
    }

    // TorchSharp's modules() lists descendants only, while PyTorch's includes the module itself.
    private static IEnumerable<Module> SelfAndDescendants(Module module) => module.modules().Prepend(module);
}

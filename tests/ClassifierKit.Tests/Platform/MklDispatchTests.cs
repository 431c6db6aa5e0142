using ClassifierKit.Platform;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Platform;

/// <summary>
/// Letting MKL choose its kernels by the CPU's features changes which code computes a float32 matrix product, never what it
/// computes: the products MKL runs after the switch (whichever kernels this CPU gets) must match float64 to float32 rounding.
/// </summary>
public class MklDispatchTests
{
    [Fact]
    public void Float32_products_after_the_switch_match_float64_within_rounding()
    {
        var state = MklDispatch.ByCpuFeatures();
        Assert.Equal(state, MklDispatch.ByCpuFeatures());   // asking again changes nothing
        Assert.Equal(state, MklDispatch.State);
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(7);
        // Odd sizes reach the kernels' edge handling; 512 the blocked inner loops. Each shape also multiplies transposed
        // operands, as a linear layer's backward pass does.
        foreach (var (m, k, n) in new[] { (1, 1, 1), (4, 16, 16), (33, 65, 17), (128, 400, 120), (512, 512, 512) })
        {
            var a = randn(m, k, generator: generator);
            var b = randn(k, n, generator: generator);
            Check(mm(a, b), a, b, $"{m}x{k} by {k}x{n}");
            var at = a.t().contiguous();   // [k, m]
            var bt = b.t().contiguous();   // [n, k]
            Check(mm(at.t(), bt.t()), a, b, $"{m}x{k} by {k}x{n}, both operands transposed");
        }
    }

    /// <summary>Every element within float32 rounding of the float64 product: |error| ≤ 1e-5 · (|a| |b|), the size of its terms.</summary>
    static void Check(Tensor product, Tensor a, Tensor b, string what)
    {
        var exact = mm(a.to(float64), b.to(float64));
        var scale = mm(a.abs().to(float64), b.abs().to(float64));
        var worst = ((product.to(float64) - exact).abs() / (scale + 1e-30)).max().item<double>();
        Assert.True(worst <= 1e-5, $"{what}: an element is off by {worst:G3} of its terms' size (MKL state: {MklDispatch.State})");
    }
}

using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace ClassifierKit.Platform;

/// <summary>What the probe of one oneDNN bug found on this CPU, or what <see cref="OneDnn.ProbeVariable"/> forced.</summary>
/// <param name="Present">Whether the guard treats the bug as present.</param>
/// <param name="Measured">What was measured, e.g. "24-channel convolution within 2.1e-07 of float64"; or why it was not.</param>
/// <param name="Forced">True when <see cref="OneDnn.ProbeVariable"/> (or a test) decided instead of the measurement.</param>
public sealed record OneDnnFinding(bool Present, string Measured, bool Forced = false)
{
    /// <summary>e.g. "absent (24-channel convolution within 2.1e-07 of float64, 1.2 ms)".</summary>
    public override string ToString() => (Present ? "present" : "absent") + (Forced ? $" (forced: {Measured})" : $" ({Measured})");
}

/// <summary>
/// The measurements behind <see cref="OneDnn"/>'s guard: each bug is reproduced in its smallest known form, with oneDNN on,
/// against a reference, once per process. The probes draw from their own generator, so they never move torch's global
/// random state (a seeded run is the same whether a probe ran before it or not).
/// </summary>
public static class OneDnnProbe
{
    /// <summary>Relative error above which a float32 convolution counts as wrong (float32 rounding gives about 1e-7; the bug 0.19).</summary>
    public const double WrongAbove = 1e-3;

    /// <summary>TinyVGG steps the backward probe runs; the bug turned most steps' gradients NaN where it was found.</summary>
    public const int BackwardSteps = 6;

    /// <summary>
    /// The forward bug: a 3x3 convolution over 24 input channels (more than 16, not a multiple of 16) against float64, with
    /// <paramref name="conv"/> (libtorch's conv2d with oneDNN on, unless a test passes another) computing the float32 result.
    /// </summary>
    public static OneDnnFinding Forward(Func<Tensor, Tensor, Tensor>? conv = null)
    {
        conv ??= Conv3x3;
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var g = new Generator(2024, CPU);
        var x = randn([4, 24, 16, 16], generator: g);
        var w = randn([32, 24, 3, 3], generator: g) / 15.0;
        var reference = Conv3x3(x.to(ScalarType.Float64), w.to(ScalarType.Float64));
        double error = RelativeError(WithOneDnn(() => conv(x, w)), reference);
        return new OneDnnFinding(!(error <= WrongAbove),
            string.Create(CultureInfo.InvariantCulture, $"24-channel convolution within {error:G2} of float64, {clock.Elapsed.TotalMilliseconds:F1} ms"));
    }

    /// <summary>
    /// The backward bug: <see cref="BackwardSteps"/> forward and backward passes of the Fashion-MNIST lab's TinyVGG with 10
    /// hidden units (batch 32, 28x28, the case where it was found), counting steps whose gradients hold NaN.
    /// <paramref name="gradients"/> (libtorch's backward with oneDNN on, unless a test passes another) computes each step's
    /// gradients of the loss with respect to the input and the weights.
    /// </summary>
    public static OneDnnFinding Backward(Func<Tensor, Tensor[], IList<Tensor>>? gradients = null)
    {
        gradients ??= Gradients;
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var g = new Generator(2024, CPU);
        Tensor Weight(int outputs, int inputs) => (randn([outputs, inputs, 3, 3], generator: g) / Math.Sqrt(9 * inputs)).requires_grad_();
        var weights = new[] { Weight(10, 1), Weight(10, 10), Weight(10, 10), Weight(10, 10) };
        var head = (randn([10, 10 * 7 * 7], generator: g) / 70).requires_grad_();
        var images = randn([32, 1, 28, 28], generator: g);
        var labels = randint(0, 10, [32], generator: g);
        int nanSteps = 0;
        for (int step = 0; step < BackwardSteps; step++)
        {
            using var stepScope = NewDisposeScope();
            var x = images.detach().requires_grad_();
            var loss = WithOneDnn(() =>
            {
                var h = x;
                for (int i = 0; i < weights.Length; i++)
                {
                    h = nn.functional.relu(Conv3x3(h, weights[i]));
                    if (i % 2 == 1) h = nn.functional.max_pool2d(h, 2);
                }
                return nn.functional.cross_entropy(nn.functional.linear(h.flatten(1), head), labels);
            });
            var grads = WithOneDnn(() => gradients(loss, [x, .. weights, head]));
            if (grads.Any(grad => grad.isnan().any().item<bool>())) nanSteps++;
        }
        return new OneDnnFinding(nanSteps > 0,
            string.Create(CultureInfo.InvariantCulture, $"NaN gradients in {nanSteps} of {BackwardSteps} TinyVGG-10 steps, {clock.Elapsed.TotalMilliseconds:F0} ms"));
    }

    /// <summary>A 3x3 convolution with padding 1 and no bias: the shape both bugs were found in.</summary>
    public static Tensor Conv3x3(Tensor x, Tensor weight) => nn.functional.conv2d(x, weight, padding: [1, 1]);

    static IList<Tensor> Gradients(Tensor loss, Tensor[] inputs) => autograd.grad([loss], inputs);

    static double RelativeError(Tensor y, Tensor reference) =>
        ((y.to(ScalarType.Float64) - reference).norm() / reference.norm()).item<double>();

    // The probe measures oneDNN itself, so it switches oneDNN on for its own computation if a guard had switched it off.
    static T WithOneDnn<T>(Func<T> compute)
    {
        bool was = OneDnn.Enabled;
        OneDnn.Enabled = true;
        try { return compute(); }
        finally { OneDnn.Enabled = was; }
    }
}

using ClassifierKit.Data;
using ClassifierKit.Platform;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Platform;

/// <summary>Flushing denormals: what the switch does to a float32 product below 1.2e-38, and that Trainer.Fit sets it unless told not to.</summary>
[Collection(GlobalRng.Name)]
public class DenormalsTests
{
    /// <summary>
    /// The bits of libtorch's 1e-30 x 1e-10 = 1e-40, below float32's smallest normal number (1.2e-38): a denormal, or zero
    /// when flushed. Bits, not floats: with denormals-are-zero on, .NET's own comparisons would read a denormal as zero too.
    /// One-element tensors run on the calling thread, whose control register the switch sets.
    /// </summary>
    static int Underflow()
    {
        using var a = tensor(1e-30f);
        using var b = tensor(1e-10f);
        using var product = a * b;
        return BitConverter.SingleToInt32Bits(product.item<float>());
    }

    static readonly int Denormal = BitConverter.SingleToInt32Bits(1e-40f);

    [Fact]
    public void Flushed_denormals_become_zero_and_gradual_underflow_comes_back_when_switched_off()
    {
        try
        {
            Assert.True(Denormals.FlushToZero(), "libtorch's at::Context::setFlushDenormal was not found, or the CPU lacks the switch");
            Assert.Equal(0, Underflow());
            Assert.True(Denormals.FlushToZero(false));
            Assert.Equal(Denormal, Underflow());
        }
        finally
        {
            Denormals.FlushToZero(false);
        }
    }

    [Fact]
    public void Trainer_Fit_flushes_denormals_on_its_thread_unless_the_options_say_no()
    {
        using var data = TestKit.Synthetic(32, size: 12, seed: 3);
        using var loader = new BatchLoader(data, 16, shuffle: false, Normalization.Half());
        var model = TestKit.TinyNet();
        try
        {
            Denormals.FlushToZero(false);
            new Trainer(model, Optimizers.Sgd(model, 0.01), TestKit.Quiet(1) with { EvaluateEachEpoch = false, FlushDenormals = false }).Fit(loader);
            Assert.Equal(Denormal, Underflow());
            new Trainer(model, Optimizers.Sgd(model, 0.01), TestKit.Quiet(1) with { EvaluateEachEpoch = false }).Fit(loader);
            Assert.Equal(0, Underflow());
        }
        finally
        {
            Denormals.FlushToZero(false);
        }
    }
}

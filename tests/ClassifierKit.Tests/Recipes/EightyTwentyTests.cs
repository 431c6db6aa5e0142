using ClassifierKit.Platform;
using ClassifierKit.Data;
using ClassifierKit.Models;
using ClassifierKit.Recipes;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Recipes;

[Collection(GlobalRng.Name)]
public class EightyTwentyTests
{
    [Fact]
    public void Recipe_model_is_the_documented_width_16_channels_last_ResNet9()
    {
        var options = new EightyTwentyOptions();
        using var model = EightyTwenty.BuildModel(options);
        Assert.Equal(new ResNet9Options(16, 32, 64, 128, ChannelsLast: true), model.Options);
        Assert.Equal(412_944, model.parameters().Sum(p => p.numel()));
        Assert.All(new[] { options.Model.Prep, options.Model.Layer1, options.Model.Layer2, options.Model.Layer3 }, w => Assert.Equal(0, w % 16));
    }

    [Fact]
    public void Channels_last_ResNet9_computes_the_same_logits_as_the_default_layout()
    {
        Seed.Everything(3);
        using var plain = new ResNet9(ResNet9Options.Width(16));
        using var fast = new ResNet9(ResNet9Options.Width(16) with { ChannelsLast = true });
        fast.load_state_dict(plain.state_dict());
        Assert.True(ChannelsLast.Is(((TorchSharp.Modules.Conv2d)fast.modules().First(m => m is TorchSharp.Modules.Conv2d)).weight!));
        plain.eval(); fast.eval();
        using var x = randn(4, 3, 32, 32);
        using var a = plain.forward(x);
        using var b = fast.forward(x);
        Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Channels_last_copy_has_nhwc_strides_and_equal_values()
    {
        using var x = arange(2 * 3 * 4 * 5, dtype: ScalarType.Float32).view(2, 3, 4, 5);
        using var y = ChannelsLast.Of(x);
        Assert.False(ChannelsLast.Is(x));
        Assert.True(ChannelsLast.Is(y));
        Assert.Equal(new long[] { 60, 1, 15, 3 }, y.stride());
        Assert.True(x.allclose(y));
        Assert.Same(y, ChannelsLast.Of(y));
    }

    [Fact]
    public void Tiny_run_yields_a_curve_with_increasing_times_and_a_summary()
    {
        using var train = TestKit.Synthetic(512, size: 16, seed: 5);
        using var test = TestKit.Synthetic(200, size: 16, seed: 6);
        var options = new EightyTwentyOptions { Epochs = 2, BatchSize = 128, TargetAccuracy = 0.3 };
        var result = EightyTwenty.Run(options, SilentProgressReporter.Instance, train, test);
        using var model = result.Model;

        Assert.Equal(new[] { 1, 2 }, result.Curve.Select(p => p.Epoch));
        Assert.True(result.Curve[0].Seconds > 0);
        Assert.True(result.Curve[1].Seconds > result.Curve[0].Seconds);
        Assert.True(result.TotalSeconds >= result.Curve[1].Seconds);
        Assert.All(result.Curve, p => Assert.InRange(p.Accuracy, 0, 1));
        Assert.Equal(result.Curve[1].Accuracy, result.FinalAccuracy);
        Assert.Equal(2 * 4, result.History.StepRecords.Count); // 512 / 128 batches per epoch
        Assert.Equal(result.FirstAtTarget?.Seconds, result.SecondsToTarget);
        Assert.Contains("final", result.Summary);
    }
}

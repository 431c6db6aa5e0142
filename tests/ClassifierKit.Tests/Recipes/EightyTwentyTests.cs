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
    public void Tiny_run_yields_one_point_per_epoch_at_increasing_times()
    {
        using var train = TestKit.Synthetic(512, size: 16, seed: 5);
        using var test = TestKit.Synthetic(200, size: 16, seed: 6);
        var options = new EightyTwentyOptions { Epochs = 2, BatchSize = 128, TargetAccuracy = 0.3 };
        var result = EightyTwenty.Run(options, SilentProgressReporter.Instance, train, test);

        Assert.Equal(new[] { 1, 2 }, result.Curve.Select(p => p.Epoch));
        Assert.True(0 < result.Curve[0].Seconds && result.Curve[0].Seconds < result.Curve[1].Seconds && result.Curve[1].Seconds <= result.TotalSeconds);
        Assert.Equal(2 * 4, result.History.StepRecords.Count); // 512 / 128 batches per epoch
        Assert.Equal(result.History.TestAccuracies, result.Curve.Select(p => p.Accuracy));
    }

    static EightyTwentyResult Result(params (int Epoch, double Seconds, double Accuracy)[] curve) => new()
    {
        Recipe = "test",
        TargetAccuracy = 0.80,
        TimeBudget = TimeSpan.FromMinutes(20),
        Epochs = curve.Length,
        Curve = curve.Select(p => new AccuracyPoint(p.Epoch, p.Seconds, p.Accuracy)).ToList(),
        DataLoadSeconds = 1.6,
        TotalSeconds = curve[^1].Seconds + 3,
        Model = TestKit.TinyNet(),
        History = new TrainingHistory(),
    };

    [Fact]
    public void The_summary_names_the_first_epoch_at_the_target_and_judges_it_against_the_budget()
    {
        var met = Result((1, 100, 0.61), (2, 200, 0.805), (3, 300, 0.79), (4, 416, 0.852));
        Assert.Equal(200, met.SecondsToTarget);
        Assert.Equal(4, met.FirstAt(0.85)!.Epoch);
        Assert.Null(met.FirstAt(0.90));
        Assert.Equal("80 % after 2 epochs at 03:20; final 85.2 % after 4 epochs at 06:59 (data load 1.6 s, budget 20:00): met", met.Summary);

        var late = Result((1, 900, 0.70), (2, 1300, 0.81));
        Assert.False(late.MetTarget);
        Assert.EndsWith("missed", late.Summary);
        Assert.StartsWith("80 % not reached", Result((1, 60, 0.5)).Summary);
    }
}

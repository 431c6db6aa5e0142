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
        TestAccuracy = curve[^1].Accuracy,
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

    [Fact]
    public void With_a_validation_split_the_epochs_are_evaluated_on_it_and_the_test_set_once_at_the_end()
    {
        using var all = TestKit.Synthetic(640, size: 16, seed: 5);
        var (train, validation) = all.SplitValidation(128);
        using var test = TestKit.Synthetic(200, size: 16, seed: 6);
        var options = new EightyTwentyOptions { Epochs = 2, BatchSize = 128, TargetAccuracy = 0.3, TestTimeFlip = true };
        var reporter = new RecordingReporter();
        var result = EightyTwenty.Run(options, reporter, train, test, validation: validation);

        Assert.Equal(EvaluationSet.Validation, result.EvaluatedOn);
        Assert.Equal(new[] { 1, 2 }, result.Curve.Select(p => p.Epoch));   // no test point added to the curve
        using var validationLoader = new BatchLoader(validation, 1000, shuffle: false, Normalization.Cifar10());
        using var testLoader = new BatchLoader(test, 1000, shuffle: false, Normalization.Cifar10());
        Assert.Equal(Evaluation.Evaluate(result.Model, validationLoader, testTimeFlip: true).Accuracy, result.Curve[^1].Accuracy, 6);
        Assert.Equal(Evaluation.Evaluate(result.Model, testLoader, testTimeFlip: true).Accuracy, result.TestAccuracy, 6);
        Assert.Equal(result.TestAccuracy, result.FinalAccuracy);
        Assert.Single(reporter.Messages, m => m.Contains("final evaluation: test accuracy") && m.Contains("the test set's one use"));
        Assert.StartsWith("validation ", result.Summary);
        Assert.Contains("; final test ", result.Summary);
    }

    [Fact]
    public void A_validation_split_without_the_training_images_it_came_from_is_refused()
    {
        using var validation = TestKit.Synthetic(64, size: 16, seed: 5);
        var e = Assert.Throws<ArgumentException>(() => EightyTwenty.Run(new EightyTwentyOptions { Epochs = 1 }, SilentProgressReporter.Instance, validation: validation));
        Assert.Contains("SplitValidation", e.Message);
    }

    [Fact]
    public void With_a_validation_curve_the_target_is_judged_by_the_test_accuracy_at_the_end()
    {
        EightyTwentyResult Validated(double testAccuracy, double totalSeconds) => new()
        {
            Recipe = "test", TargetAccuracy = 0.80, TimeBudget = TimeSpan.FromMinutes(2), Epochs = 3,
            Curve = [new AccuracyPoint(2, 70, 0.81), new AccuracyPoint(3, 100, 0.83)], EvaluatedOn = EvaluationSet.Validation,
            DataLoadSeconds = 1, TotalSeconds = totalSeconds, Model = TestKit.TinyNet(), History = new TrainingHistory(), TestAccuracy = testAccuracy,
        };
        Assert.True(Validated(0.805, 110).MetTarget);
        Assert.False(Validated(0.79, 110).MetTarget);   // the validation curve reached 80 %, the test set did not
        Assert.False(Validated(0.85, 130).MetTarget);   // over the budget
        Assert.Equal("validation 80 % after 2 epochs at 01:10; final test 80.5 % after 3 epochs at 01:50 (data load 1.0 s, budget 02:00): met", Validated(0.805, 110).Summary);
    }

    [Fact]
    public void Without_per_epoch_evaluation_the_run_is_evaluated_once_at_the_end()
    {
        using var train = TestKit.Synthetic(256, size: 16, seed: 5);
        using var test = TestKit.Synthetic(100, size: 16, seed: 6);
        var options = new EightyTwentyOptions { Epochs = 2, BatchSize = 128, EvaluateEachEpoch = false };
        var reporter = new RecordingReporter();
        var result = EightyTwenty.Run(options, reporter, train, test);

        var point = Assert.Single(result.Curve);
        Assert.Equal(2, point.Epoch);
        Assert.Equal(point.Accuracy, result.TestAccuracy);
        Assert.Single(reporter.Messages, m => m.Contains("final evaluation: test accuracy"));
    }
}

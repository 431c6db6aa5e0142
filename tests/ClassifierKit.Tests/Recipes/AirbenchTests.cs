using ClassifierKit.Data;
using ClassifierKit.Models;
using ClassifierKit.Platform;
using ClassifierKit.Recipes;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Recipes;

[Collection(GlobalRng.Name)]
public class AirbenchTests
{
    [Fact]
    public void A_recipe_is_labelled_by_its_network_epochs_and_arithmetic_as_07s_record_names_its_runs()
    {
        Assert.Equal("airbench 3 epochs, float32", (AirbenchRecipe.Eighty with { Precision = Precision.Float32 }).Label);
        Assert.Equal("airbench wide 9 epochs, bfloat16", (AirbenchRecipe.Ninety with { Precision = Precision.BFloat16 }).Label);
        Assert.Equal("airbench 2 epochs, bfloat16", (AirbenchRecipe.Eighty with { Epochs = 2, Precision = Precision.BFloat16 }).Label);
    }

    [Fact]
    public void The_whitening_layer_decorrelates_2x2_patches_to_unit_variance()
    {
        Seed.Everything(1);
        // Correlated colour channels and neighbouring pixels, as in photos.
        using var noise = randn(400, 1, 9, 9);
        using var images = cat([noise, noise * 0.8 + randn(400, 1, 9, 9) * 0.2, noise * 0.5 + randn(400, 1, 9, 9) * 0.5], 1);
        using var smooth = nn.functional.avg_pool2d(images, 2, stride: 1);     // neighbours correlate
        var net = new AirbenchNet(new AirbenchOptions(Whitening: 32, ChannelsLast: false));
        net.InitWhitening(smooth, eps: 0);
        using var noGrad = no_grad();
        // The first 12 filters map each patch to uncorrelated unit-variance features: their covariance is the identity.
        var features = nn.functional.conv2d(smooth, net.Whitening.weight![..12]).permute(0, 2, 3, 1).reshape(-1, 12);
        var covariance = features.T.matmul(features) / features.shape[0];
        Assert.True(covariance.allclose(eye(12), atol: 1e-3), covariance.ToString(TorchSharp.TensorStringStyle.Numpy));
        // The next 12 are their negations, the last 8 repeat the strongest 4 (and negations) in a 32-channel layer.
        Assert.True(net.Whitening.weight[12..24].allclose(-net.Whitening.weight[..12]));
        Assert.True(net.Whitening.weight[24..28].allclose(net.Whitening.weight[..4]));
        Assert.True(net.Whitening.weight[28..32].allclose(-net.Whitening.weight[..4]));
        Assert.Equal((false, false), OneDnn.ShapesAtRisk(net));
    }

    [Fact]
    public void The_whitening_width_is_airbenchs_24_unless_the_probe_found_onednns_forward_bug()
    {
        var airbench = new AirbenchOptions();
        Assert.Equal(24, airbench.Whitening);
        Assert.Equal((true, false), OneDnn.ShapesAtRisk(new AirbenchNet(airbench)));
        using (OneDnn.ForceForTest(false))
            Assert.Same(airbench, airbench.ForThisCpu());
        using (OneDnn.ForceForTest(true))
        {
            Assert.Equal(airbench with { Whitening = 32 }, airbench.ForThisCpu());
            Assert.Equal((false, false), OneDnn.ShapesAtRisk(new AirbenchNet(airbench.ForThisCpu())));
            var reporter = new RecordingReporter();
            using var train = TestKit.Synthetic(128, size: 32, seed: 7);
            using var test = TestKit.Synthetic(64, size: 32, seed: 8);
            Airbench.Run(new AirbenchRecipe { Epochs = 1, BatchSize = 64, Precision = Precision.Float32, FinalViews = TestTimeAugmentation.None },
                reporter, train, test);
            Assert.Contains(reporter.Messages, n => n.Contains("whitening layer has 32 channels rather than 24"));
        }
    }

    [Fact]
    public void Batch_norms_learn_their_shift_only_and_the_whitening_bias_trains_for_the_first_epochs()
    {
        using var train = TestKit.Synthetic(256, size: 32, seed: 7);
        using var test = TestKit.Synthetic(100, size: 32, seed: 8);
        var recipe = new AirbenchRecipe { Epochs = 3, BatchSize = 64, WhiteningBiasEpochs = 1, Precision = Precision.Float32, TargetAccuracy = 0.2 };
        var result = Airbench.Run(recipe, SilentProgressReporter.Instance, train, test);
        var net = (AirbenchNet)result.Model;
        Assert.All(net.modules().OfType<TorchSharp.Modules.BatchNorm2d>(), bn =>
        {
            Assert.False(bn.weight!.requires_grad);
            Assert.True(bn.weight.eq(1).all().item<bool>(), "a frozen batch-norm scale stays 1");
        });
        Assert.False(net.Whitening.bias!.requires_grad);
        Assert.Equal(3 * 4, result.History.StepRecords.Count);
        Assert.Equal(new[] { 1, 2, 3 }, result.Curve.Select(p => p.Epoch));
        // The schedule: up from 0.2x of the peak for 23% of the steps, then down to 0.07x.
        var rates = result.History.StepLearningRates;
        Assert.True(rates[1] > rates[0] && rates[^1] < rates[3]);
        Assert.Equal(rates.Max() * 0.2, rates[0], 6);
    }

    [Fact]
    public void A_final_run_without_per_epoch_evaluation_tests_once_with_the_final_views()
    {
        using var train = TestKit.Synthetic(256, size: 32, seed: 7);
        using var test = TestKit.Synthetic(100, size: 32, seed: 8);
        var recipe = new AirbenchRecipe { Epochs = 2, BatchSize = 64, Precision = Precision.Float32, EvaluateEachEpoch = false };
        var reporter = new RecordingReporter();
        var result = Airbench.Run(recipe, reporter, train, test);

        var point = Assert.Single(result.Curve);
        Assert.Equal(2, point.Epoch);
        Assert.Equal(EvaluationSet.Test, result.EvaluatedOn);
        Assert.Equal(point.Accuracy, result.TestAccuracy);
        Assert.Single(reporter.Messages, m => m.Contains("final evaluation: test accuracy"));
        using var loader = new BatchLoader(test, 1000, shuffle: false, Normalization.Cifar10());
        var again = Evaluation.Evaluate(result.Model, loader, recipe.FinalViews, recipe.Precision);
        Assert.Equal(again.Accuracy, result.TestAccuracy, 6);   // the one evaluation used the six views, not the epochs' one
    }

    [Fact]
    public void The_whitening_bias_stays_put_once_frozen_although_the_optimizer_has_momentum_and_weight_decay()
    {
        Seed.Everything(3);
        using var train = TestKit.Synthetic(64, size: 32, seed: 7);
        var net = new AirbenchNet(new AirbenchOptions(Whitening: 32, ChannelsLast: false));
        var loader = new BatchLoader(train, 16, shuffle: true, Normalization.Cifar10(), seed: 1);
        var optimizer = optim.SGD(net.parameters(), 0.05, momentum: 0.9, weight_decay: 0.5, nesterov: true);
        var afterFirst = new BiasAfterEpoch(net, 1);
        var options = TestKit.Quiet(3) with { Callbacks = [new Airbench.WhiteningBiasEpochs(net.Whitening, 1), afterFirst] };
        Trainer.Fit(net, loader, null, options, optimizer);

        Assert.NotNull(afterFirst.Bias);
        Assert.False(afterFirst.Bias!.eq(0).all().item<bool>(), "the bias trains in its epoch");
        Assert.True(net.Whitening.bias!.allclose(afterFirst.Bias, rtol: 0, atol: 0), "the frozen bias moved after its epoch (momentum or weight decay still stepped it)");
    }

    [Fact]
    public void A_stop_before_training_or_in_the_final_evaluation_stops_the_run_and_says_where()
    {
        using var train = TestKit.Synthetic(128, size: 32, seed: 7);
        using var test = TestKit.Synthetic(64, size: 32, seed: 8);
        var recipe = new AirbenchRecipe { Epochs = 2, BatchSize = 64, WhiteningBiasEpochs = 1, Precision = Precision.Float32 };

        // A stop that arrives while the data loads: the trainer's own stop request did not exist yet, so only the run's catches it.
        using var early = new CancellationTokenSource();
        early.Cancel();
        var before = Assert.Throws<RecipeStoppedException>(() => Airbench.Run(recipe, SilentProgressReporter.Instance, train, test, early.Token));
        Assert.Contains("while it loaded the data", before.Message);
        Assert.Null(before.At);

        // A stop after the last epoch: the six-view evaluation that follows stops too.
        using var late = new CancellationTokenSource();
        var reporter = new CancelAfterEpoch(2, late);
        var final = Assert.Throws<RecipeStoppedException>(() => Airbench.Run(recipe, reporter, train, test, late.Token));
        Assert.Contains("in its final evaluation", final.Message);
        Assert.Equal(2, reporter.Epochs);
    }

    sealed class CancelAfterEpoch(int epoch, CancellationTokenSource cancel) : IProgressReporter
    {
        public int Epochs { get; private set; }
        public void OnProgress(TrainingProgress progress) { }
        public void OnMessage(string line) { }
        public void OnEpochEnd(EpochRecord record)
        {
            Epochs = record.Epoch;
            if (record.Epoch == epoch) cancel.Cancel();
        }
    }

    sealed class BiasAfterEpoch(AirbenchNet net, int epoch) : TrainingCallback
    {
        public Tensor? Bias { get; private set; }
        public override void AfterEpoch(Trainer t)
        {
            if (t.Epoch == epoch) Bias = net.Whitening.bias!.detach().clone().DetachFromDisposeScope();
        }
    }
}

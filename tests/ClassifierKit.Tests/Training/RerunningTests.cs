using ClassifierKit.Data;
using ClassifierKit.Platform;
using ClassifierKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

/// <summary>What a learner re-running cells in any order meets: one run per model, evaluations that change nothing, a finished
/// Fit that says so, and errors that name the fact to fix.</summary>
[Collection(GlobalRng.Name)]
public class RerunningTests
{
    sealed class Signal(ManualResetEventSlim started) : TrainingCallback
    {
        public override void AfterBatch(Trainer t) => started.Set();
    }

    [Fact]
    public void A_second_fit_evaluation_or_prediction_on_a_model_in_training_is_refused_with_what_runs()
    {
        Seed.Everything(3);
        using var data = TestKit.Synthetic(4000);
        using var loader = new BatchLoader(data, 4, shuffle: true, Normalization.Half());
        using var smallData = TestKit.Synthetic(8);
        using var small = new BatchLoader(smallData, 4, shuffle: false, Normalization.Half());
        var model = TestKit.TinyNet();
        using var started = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var first = new Trainer(model, Optimizers.Sgd(model, 0.01), TestKit.Quiet(50) with { Callbacks = [new Signal(started)] });
        var running = Task.Run(() => first.Fit(loader, null, stop.Token));
        Assert.True(started.Wait(TimeSpan.FromMinutes(2)), "the first Fit never trained a mini-batch");

        var second = new Trainer(model, Optimizers.Sgd(model, 0.01), TestKit.Quiet(1));
        var fit = Assert.Throws<InvalidOperationException>(() => second.Fit(loader));
        Assert.Contains("busy: Trainer.Fit of this Sequential", fit.Message);
        Assert.Contains("press Stop", fit.Message);
        Assert.Contains("Trainer.Fit", Assert.Throws<InvalidOperationException>(() => Evaluation.Evaluate(model, small)).Message);
        Assert.Contains("Trainer.Fit", Assert.Throws<InvalidOperationException>(() => Evaluation.Predict(model, zeros(1, 3, 12, 12))).Message);
        Assert.Equal(0, second.GlobalStep);

        stop.Cancel();
        Assert.Throws<TrainingStoppedException>(() => running.GetAwaiter().GetResult());
        Assert.Null(ModelRuns.Describe(model));
        Evaluation.Evaluate(model, small);   // free again
        Assert.True(first.GlobalStep > 0);
    }

    [Fact]
    public void Evaluation_and_prediction_leave_every_module_mode_and_buffer_as_they_were()
    {
        Seed.Everything(4);
        var model = TestKit.TinyNet();
        model.train();
        var frozen = model.named_modules().Single(m => m.name == "bn1").module;
        frozen.eval();   // a frozen sub-module, as in fine-tuning
        using var data = TestKit.Synthetic(16);
        using var loader = new BatchLoader(data, 8, shuffle: false, Normalization.Half());
        var before = TestKit.Snapshot(model);
        Evaluation.Evaluate(model, loader, testTimeFlip: true);
        using (var batch = loader.GetBatch()) Evaluation.Predict(model, batch.Images);
        Assert.True(model.training);
        Assert.False(frozen.training, "the frozen eval-mode sub-module came back in train mode");
        Assert.All(model.named_modules().Where(m => m.name != "bn1" && !m.name.StartsWith("bn1.")), m => Assert.True(m.module.training, m.name));
        TestKit.AssertSameState(before, model);
    }

    [Fact]
    public void A_loader_that_augments_is_refused_for_evaluation_in_evaluate_and_before_fit_trains()
    {
        using var data = TestKit.Synthetic(16);
        using var augmentation = Augmentation.CropAndFlip(seed: 1);
        using var augmenting = new BatchLoader(data, 8, shuffle: false, Normalization.Half(), augmentation);
        using var plain = new BatchLoader(data, 8, shuffle: true, Normalization.Half());
        var model = TestKit.TinyNet();
        Assert.Contains("augments its images", Assert.Throws<ArgumentException>(() => Evaluation.Evaluate(model, augmenting)).Message);
        var trainer = new Trainer(model, Optimizers.Sgd(model, 0.01), TestKit.Quiet(1));
        Assert.Contains("augments its images", Assert.Throws<ArgumentException>(() => trainer.Fit(plain, augmenting)).Message);
        Assert.Equal(0, trainer.GlobalStep);
    }

    [Fact]
    public void Predict_refuses_non_finite_images_and_non_finite_scores()
    {
        var model = TestKit.TinyNet();
        using var images = zeros(2, 3, 12, 12);
        images[1, 0, 3, 3] = tensor(float.NaN);
        Assert.Contains("NaN or infinite values", Assert.Throws<ArgumentException>(() => Evaluation.Predict(model, images)).Message);
        using (no_grad())
            foreach (var p in model.parameters()) p.fill_(float.NaN);
        using var fine = zeros(1, 3, 12, 12);
        Assert.Contains("NaN or infinite scores", Assert.Throws<ArgumentException>(() => Evaluation.Predict(model, fine)).Message);
    }

    [Fact]
    public void Fewer_model_outputs_than_classes_is_refused_before_the_first_step()
    {
        Seed.Everything(5);
        using var data = TestKit.Synthetic(16, classes: 10);
        using var loader = new BatchLoader(data, 4, shuffle: true, Normalization.Half());
        var model = TestKit.TinyNet(classes: 5);
        var before = TestKit.Snapshot(model);
        var trainer = new Trainer(model, Optimizers.Sgd(model, 0.1), TestKit.Quiet(1));
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(loader));
        Assert.Contains("outputs of shape [4, 5]", e.Message);
        Assert.Contains("10 classes", e.Message);
        Assert.Equal(0, trainer.GlobalStep);
        TestKit.AssertSameState(before, model);
    }

    [Fact]
    public void A_finished_fit_run_again_says_so_and_how_to_train_more_or_start_over()
    {
        Seed.Everything(6);
        using var data = TestKit.Synthetic(16);
        using var loader = new BatchLoader(data, 4, shuffle: true, Normalization.Half());
        var model = TestKit.TinyNet();
        var reporter = new RecordingReporter();
        var trainer = new Trainer(model, Optimizers.Sgd(model, 0.1), TestKit.Quiet(1) with { Progress = reporter });
        trainer.Fit(loader);
        var steps = trainer.GlobalStep;
        trainer.Fit(loader);
        Assert.Equal(steps, trainer.GlobalStep);
        Assert.Contains(reporter.Messages, m => m.StartsWith("Already trained 1 of 1 epochs") && m.Contains("Epochs = 2") && m.Contains("start over"));
        trainer.Options = trainer.Options with { Epochs = 2 };
        trainer.Fit(loader);
        Assert.Equal(2 * steps, trainer.GlobalStep);
    }
}

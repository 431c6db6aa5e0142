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

    [Fact]
    public void Disposed_datasets_loaders_and_passed_batches_say_what_happened_and_what_to_do()
    {
        var data = TestKit.Synthetic(40);
        var loader = new BatchLoader(data, 4, shuffle: true, Normalization.Half());
        var first = loader.First();                       // taken from a loop that ended early: still the learner's
        Assert.Equal(4, first.Images.shape[0]);
        Batch? passed = null;
        foreach (var b in loader) { passed ??= b; }       // kept past its turn in a loop
        Assert.Contains("GetBatch", Assert.Throws<ObjectDisposedException>(() => passed!.Images).Message);
        first.Dispose();

        loader.Dispose();
        Assert.Contains("new BatchLoader", Assert.Throws<ObjectDisposedException>(() => loader.First()).Message);
        var other = new BatchLoader(data, 4, shuffle: true, Normalization.Half());
        data.Dispose();
        Assert.Contains("Load or take the data again", Assert.Throws<ObjectDisposedException>(() => data.Images).Message);
        Assert.Contains("dataset was disposed", Assert.Throws<ObjectDisposedException>(() => other.GetBatch(0)).Message);
        var model = TestKit.TinyNet();
        Assert.Throws<ObjectDisposedException>(() => new Trainer(model, Optimizers.Sgd(model, 0.1), TestKit.Quiet(1)).Fit(other));
    }

    [Theory]
    [InlineData(new long[] { 4, 1, 12, 12 }, "grayscale images given to a colour model")]
    [InlineData(new long[] { 4, 12, 12, 3 }, "channels-last images")]
    [InlineData(new long[] { 3, 12, 12 }, "without its batch dimension")]
    public void A_batch_the_model_cannot_take_is_named_with_what_the_model_expects_and_the_likely_cause(long[] shape, string cause)
    {
        var model = TestKit.TinyNet();
        using var images = zeros(shape);
        var e = Assert.Throws<TorchOperationException>(() => Evaluation.Predict(model, images.dim() == 3 ? images.unsqueeze(0).permute(1, 0, 2, 3) : images));
        Assert.Contains("expects images [batch, 3, height, width]", e.Message);
        Assert.Contains("its first layer, conv1", e.Message);
        Assert.Contains(shape.Length == 3 ? "Likely cause:" : cause, e.Message);
        Assert.Contains("said:", e.Message);   // the native text, kept for experts
    }

    [Fact]
    public void Fit_names_the_shapes_when_the_images_do_not_fit_the_model()
    {
        using var data = new ImageDataset(zeros(8, 1, 12, 12, ScalarType.Byte), zeros(8, ScalarType.Int64), TestKit.Cifar10Classes);
        using var loader = new BatchLoader(data, 4, shuffle: false, Normalization.Half(1));
        var model = TestKit.TinyNet();
        var trainer = new Trainer(model, Optimizers.Sgd(model, 0.1), TestKit.Quiet(1));
        var e = Assert.Throws<TorchOperationException>(() => trainer.Fit(loader));
        Assert.Contains("The images given are [4, 1, 12, 12]", e.Message);
        Assert.Contains("grayscale images given to a colour model", e.Message);
        Assert.Equal(0, trainer.GlobalStep);
    }
}

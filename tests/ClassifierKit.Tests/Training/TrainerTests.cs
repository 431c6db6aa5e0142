using ClassifierKit.Platform;
using System.Diagnostics;
using System.Text.RegularExpressions;
using ClassifierKit.Data;
using ClassifierKit.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

[Collection(GlobalRng.Name)]
public class TrainerTests(ITestOutputHelper log)
{
    [Fact]
    public void Running_loss_line_matches_the_blog_format()
    {
        Assert.Equal("[1,  2000] loss: 2.161", Trainer.FormatRunningLoss(1, 2000, 2.1614));
        Assert.Equal("[2, 10000] loss: 1.317", Trainer.FormatRunningLoss(2, 10000, 1.3171));
        Assert.Equal("[1,     5] loss: 0.500", Trainer.FormatRunningLoss(1, 5, 0.5));
    }

    [Fact]
    public void Fit_prints_running_loss_every_n_mini_batches_and_finished_training()
    {
        Seed.Everything(1);
        using var data = TestKit.Synthetic(40);
        using var loader = new BatchLoader(data, 4, shuffle: true, Normalization.Half());
        var model = TestKit.TinyNet();
        var reporter = new RecordingReporter();
        Trainer.Fit(model, loader, null, new TrainingOptions { Epochs = 2, PrintEvery = 5, Progress = reporter }, Optimizers.Sgd(model, 0.01));
        var lines = reporter.Messages;
        Assert.Equal(5, lines.Count);
        Assert.Matches(new Regex(@"^\[1,     5\] loss: \d\.\d{3}$"), lines[0]);
        Assert.Matches(new Regex(@"^\[2,    10\] loss: \d\.\d{3}$"), lines[3]);
        Assert.Equal("Finished Training", lines[^1]);
        Assert.Equal(10, reporter.Progress[^1].Step);
        Assert.Equal(10, reporter.Progress[^1].TotalSteps);
    }

    [Fact]
    public void A_layer_frozen_between_epochs_stays_where_it_is()
    {
        // As PyTorch since 2.0, the trainer drops gradients after each step rather than zeroing them: a parameter that stops
        // requiring a gradient then has none, and SGD passes it by. A zeroed gradient would still feed momentum and weight
        // decay, moving the frozen layer on.
        Seed.Everything(2);
        using var data = TestKit.Synthetic(16);
        using var loader = new BatchLoader(data, 4, shuffle: false, Normalization.Half());
        var model = TestKit.TinyNet();
        var frozen = model.named_parameters().First().parameter;
        Tensor? atFreeze = null;
        var options = TestKit.Quiet(2) with { Callbacks = [new FreezeAt(epoch: 2, frozen, p => atFreeze = p.detach().clone().DetachFromDisposeScope())] };
        Trainer.Fit(model, loader, null, options, Optimizers.Sgd(model, 0.1, momentum: 0.9, weightDecay: 5e-4));
        Assert.NotNull(atFreeze);
        Assert.True(TestKit.Same(atFreeze!, frozen), $"the frozen layer moved by up to {(frozen - atFreeze!).abs().max().item<float>():G3} in the epoch after it was frozen");
    }

    sealed class FreezeAt(int epoch, Tensor parameter, Action<Tensor> frozenAs) : TrainingCallback
    {
        public override void BeforeEpoch(Trainer t)
        {
            if (t.Epoch != epoch) return;
            parameter.requires_grad = false;
            frozenAs(parameter);
        }
    }

    [Fact]
    public void An_epoch_evaluated_on_a_validation_split_is_named_so_in_its_line()
    {
        Seed.Everything(1);
        using var data = TestKit.Synthetic(24);
        var (train, validation) = data.SplitValidation(8);
        using var loader = new BatchLoader(train, 4, shuffle: true, Normalization.Half());
        using var validationLoader = new BatchLoader(validation, 8, shuffle: false, Normalization.Half());
        var model = TestKit.TinyNet();
        var history = Trainer.Fit(model, loader, validationLoader, new TrainingOptions { Epochs = 1, PrintEvery = 0, EvaluatedOn = EvaluationSet.Validation }, Optimizers.Sgd(model, 0.01));
        var line = ConsoleProgressReporter.EpochLine(history.EpochRecords.Single());
        Assert.Matches(new Regex(@"validation loss \d\.\d{3}, validation accuracy \d+\.\d %"), line);
        Assert.DoesNotContain("test", line);
        Assert.Contains("test accuracy", ConsoleProgressReporter.EpochLine(history.EpochRecords.Single() with { EvaluatedOn = EvaluationSet.Test }));
    }

    [Fact]
    public void Process_notes_are_kept_by_the_trainer_and_printed_only_when_asked()
    {
        int threads = get_num_threads();
        try
        {
            foreach (var show in new[] { false, true })
            {
                set_num_threads(2);   // a tiny net on two threads: the trainer switches to one and notes it
                Seed.Everything(1);
                using var data = TestKit.Synthetic(16);
                using var loader = new BatchLoader(data, 4, shuffle: true, Normalization.Half());
                var model = TestKit.TinyNet();
                var reporter = new RecordingReporter();
                var trainer = new Trainer(model, Optimizers.Sgd(model, 0.01), new TrainingOptions { Epochs = 1, PrintEvery = 0, Progress = reporter, ShowProcessNotes = show });
                trainer.Fit(loader);
                var note = Assert.Single(trainer.Notes, n => n.StartsWith("note: training on 1 thread (of 2)"));
                Assert.Equal(show, reporter.Messages.Contains(note));
                Assert.Equal(2, get_num_threads());   // restored after the run
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void Console_progress_line_looks_like_tqdm()
    {
        var p = new TrainingProgress(1, 2, 7750, 12500, 7750, TimeSpan.FromSeconds(9.2), 840.1, TimeSpan.FromSeconds(5.6), 1.6234, 0.001);
        Assert.Equal("epoch 1/2  62%|██████    | 7750/12500 [00:09<00:05, 840.1 it/s] loss 1.62", ConsoleProgressReporter.Format(p));
    }

    [Fact]
    public void Nan_loss_stops_training_with_step_epoch_last_loss_and_lr_in_the_message()
    {
        Seed.Everything(2);
        using var data = TestKit.Synthetic(40);
        using var loader = new BatchLoader(data, 4, shuffle: false, Normalization.Half());
        var model = TestKit.TinyNet();
        int calls = 0;
        var ce = Losses.CrossEntropy();
        Tensor Criterion(Tensor logits, Tensor labels)
        {
            var loss = ce(logits, labels);
            return ++calls < 3 ? loss : loss * double.NaN;
        }
        var afterLastStep = new SnapshotAfterEachStep();
        var options = TestKit.Quiet(2) with { Criterion = Criterion, Callbacks = [afterLastStep] };
        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(model, loader, null, options, Optimizers.Sgd(model, 0.05)));
        log.WriteLine(e.Message);
        Assert.Contains("NaN at step 3 (epoch 1, mini-batch 3)", e.Message);
        Assert.Contains("Last finite loss: ", e.Message);
        Assert.Contains("learning rate 0.05", e.Message);
        Assert.Contains("lower the learning rate", e.Message);
        Assert.NotNull(e.LastFiniteLoss);
        // The model is as step 2 left it: the bad mini-batch's forward pass moved no batch-norm statistic either.
        TestKit.AssertSameState(afterLastStep.State!, model);
    }

    sealed class SnapshotAfterEachStep : TrainingCallback
    {
        public Dictionary<string, Tensor>? State { get; private set; }
        public override void AfterStep(Trainer t) => State = TestKit.Snapshot(t.Model);
    }

    static (double[] Losses, Dictionary<string, Tensor> State) ShortRun()
    {
        Seed.Everything(123);
        using var data = TestKit.Synthetic(48);
        using var aug = Augmentation.CropAndFlip();
        using var loader = new BatchLoader(data, 8, shuffle: true, Normalization.Half(), aug);
        var model = TestKit.TinyNet();
        var history = Trainer.Fit(model, loader, null, TestKit.Quiet(2), Optimizers.Adam(model, 0.01));
        return (history.StepLosses, TestKit.Snapshot(model));
    }

    [Fact]
    public void Seed_everything_makes_two_runs_identical_bit_for_bit()
    {
        var a = ShortRun();
        var b = ShortRun();
        Assert.Equal(12, a.Losses.Length);
        Assert.Equal(a.Losses, b.Losses);
        foreach (var (k, v) in a.State) Assert.True(TestKit.Same(v, b.State[k]), k);
    }

    [Fact]
    public void Gradient_accumulation_steps_the_optimizer_once_per_k_mini_batches()
    {
        Seed.Everything(4);
        using var data = TestKit.Synthetic(40);
        using var loader = new BatchLoader(data, 4, shuffle: false, Normalization.Half());
        var model = TestKit.TinyNet();
        var opt = Optimizers.Sgd(model, 0.01);
        var sched = new LrScheduler(opt, LrSchedule.Step(0.01, 1, 0.5));
        var h = Trainer.Fit(model, loader, null, TestKit.Quiet(1) with { AccumulationSteps = 4 }, opt, sched);
        Assert.Equal(3, h.StepRecords.Count); // 10 mini-batches: 4 + 4 + the 2 left at the end of the epoch
        Assert.Equal(new[] { 0.01, 0.005, 0.0025 }, h.StepLearningRates);
        Assert.Equal(3, sched.Step);
    }

    [Fact]
    public void Tiny_model_learns_above_chance_on_real_cifar_subset()
    {
        Seed.Everything(7);
        using var train = TestKit.CifarRows("data_batch_1.bin", 2000);
        using var test = TestKit.CifarRows("test_batch.bin", 500);
        using var trainLoader = new BatchLoader(train, 32, shuffle: true, Normalization.Half());
        using var testLoader = new BatchLoader(test, 250, shuffle: false, Normalization.Half());
        var model = TestKit.TinyNet(width: 16);
        var opt = Optimizers.Adam(model, 0.003);
        var sw = Stopwatch.StartNew();
        var history = Trainer.Fit(model, trainLoader, testLoader, TestKit.Quiet(4), opt);
        var eval = Evaluation.Evaluate(model, testLoader);
        foreach (var line in eval.BlogLines()) log.WriteLine(line);
        log.WriteLine($"4 epochs x 63 steps in {sw.Elapsed.TotalSeconds:F1} s; test accuracy {eval.Accuracy:P1}");
        Assert.True(eval.Accuracy > 0.2, $"accuracy {eval.Accuracy:P1} is not above chance");
        Assert.Equal(4, history.EpochRecords.Count);
        Assert.Equal(eval.Accuracy, history.TestAccuracies[^1], 9);
        Assert.True(history.TrainLosses[^1] < history.TrainLosses[0]);
        Assert.True(model.training);
    }

    [Fact]
    public void Live_tensor_count_stays_flat_over_1500_steps()
    {
        Seed.Everything(5);
        using var data = TestKit.Synthetic(300 * 4, size: 8);
        using var aug = new Augmentation(padding: 2); // 4 would leave mostly padding in 8x8 images
        using var loader = new BatchLoader(data, 4, shuffle: true, Normalization.Half(), aug);
        var model = TestKit.TinyNet(width: 4);
        var opt = Optimizers.Sgd(model, 0.01);
        var sched = new LrScheduler(opt, LrSchedule.Cosine(0.01, 1500));
        var live = new List<long>();
        var rss = new List<long>();
        var reporter = new RecordingReporter
        {
            EpochHook = _ =>
            {
                live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
                rss.Add(Environment.WorkingSet);
            }
        };
        var sw = Stopwatch.StartNew();
        Trainer.Fit(model, loader, null, new TrainingOptions { Epochs = 5, PrintEvery = 100, Progress = reporter }, opt, sched);
        log.WriteLine($"1500 steps in {sw.Elapsed.TotalSeconds:F1} s");
        for (int i = 0; i < live.Count; i++)
            log.WriteLine($"after step {300 * (i + 1)}: live tensors {live[i]}, working set {rss[i] / (1 << 20)} MiB");
        Assert.Equal(5, live.Count);
        Assert.True(live[^1] - live[0] <= 2, $"live tensors grew from {live[0]} to {live[^1]}");
        Assert.True(rss[^1] - rss[0] < 64L << 20, $"working set grew by {(rss[^1] - rss[0]) >> 20} MiB");
    }
}

[Collection(GlobalRng.Name)]
public class GradientTests
{
    static nn.Module<Tensor, Tensor> Linear()
    {
        torch.manual_seed(11);
        return nn.Sequential(("flat", nn.Flatten()), ("fc", nn.Linear(3 * 12 * 12, 10)));
    }

    [Fact]
    public void Sgd_step_applies_exactly_the_mini_batch_gradient()
    {
        using var data = TestKit.Synthetic(8);
        using var loader = new BatchLoader(data, 8, shuffle: false, Normalization.Half());
        var model = Linear();
        var before = TestKit.Snapshot(model);
        using var batch = loader.GetBatch(0);
        Dictionary<string, Tensor> grads;
        using (NewDisposeScope())
        {
            nn.functional.cross_entropy(model.forward(batch.Images), batch.Labels).backward();
            grads = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone().DetachFromDisposeScope());
            model.zero_grad();
        }
        var trained = Linear();
        Trainer.Fit(trained, loader, null, TestKit.Quiet(1), Optimizers.Sgd(trained, lr: 0.5, momentum: 0));
        foreach (var (name, p) in trained.named_parameters())
        {
            using var expected = before[name] - 0.5 * grads[name];
            Assert.True(p.allclose(expected, rtol: 1e-5, atol: 1e-6), $"{name} is not before - lr * grad");
        }
    }

    [Fact]
    public void Accumulating_two_half_batches_equals_one_full_batch()
    {
        using var data = TestKit.Synthetic(32);
        using var halves = new BatchLoader(data, 4, shuffle: false, Normalization.Half());
        using var full = new BatchLoader(data, 8, shuffle: false, Normalization.Half());
        var a = Linear();
        var b = Linear();
        Trainer.Fit(a, halves, null, TestKit.Quiet(2) with { AccumulationSteps = 2 }, Optimizers.Sgd(a, 0.1, momentum: 0.9));
        Trainer.Fit(b, full, null, TestKit.Quiet(2), Optimizers.Sgd(b, 0.1, momentum: 0.9));
        foreach (var (name, p) in a.named_parameters())
            Assert.True(p.allclose(b.get_parameter(name)!, rtol: 1e-4, atol: 1e-6), name);
    }
}

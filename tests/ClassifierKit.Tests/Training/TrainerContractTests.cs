using ClassifierKit.Data;
using ClassifierKit.Platform;
using ClassifierKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

/// <summary>What Trainer.Fit refuses, and how it stops and continues.</summary>
[Collection(GlobalRng.Name)]
public class TrainerContractTests
{
    static (ImageDataset Data, BatchLoader Loader) Data(int n = 40, int batch = 4)
    {
        var data = TestKit.Synthetic(n);
        return (data, new BatchLoader(data, batch, shuffle: true, Normalization.Half(), seed: 1));
    }

    [Fact]
    public void An_optimizer_made_for_another_model_is_refused_before_any_step()
    {
        Seed.Everything(1);
        var (data, loader) = Data();
        using var _ = data;
        var oldModel = TestKit.TinyNet();
        var optimizer = Optimizers.Sgd(oldModel, 0.01);   // the learner re-ran the model cell, not the optimizer cell
        var newModel = TestKit.TinyNet();
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(newModel, loader, null, TestKit.Quiet(1), optimizer));
        Assert.Contains("holds none of this", e.Message);
        Assert.Contains("Create the optimizer again", e.Message);
    }

    [Theory]
    [InlineData(nameof(TrainingOptions.Epochs), 0, "at least 1")]
    [InlineData(nameof(TrainingOptions.AccumulationSteps), 0, "at least 1")]
    [InlineData(nameof(TrainingOptions.LabelSmoothing), -0.5, "[0, 1)")]
    [InlineData(nameof(TrainingOptions.LabelSmoothing), 1.5, "[0, 1)")]
    [InlineData(nameof(TrainingOptions.PrintEvery), -1, "0 (no running-loss lines)")]
    public void Settings_outside_their_range_are_refused_naming_the_range(string setting, double value, string range)
    {
        var (data, loader) = Data();
        using var _ = data;
        var model = TestKit.TinyNet();
        var options = setting switch
        {
            nameof(TrainingOptions.Epochs) => TestKit.Quiet(1) with { Epochs = (int)value },
            nameof(TrainingOptions.AccumulationSteps) => TestKit.Quiet(1) with { AccumulationSteps = (int)value },
            nameof(TrainingOptions.LabelSmoothing) => TestKit.Quiet(1) with { LabelSmoothing = value },
            _ => TestKit.Quiet(1) with { PrintEvery = (int)value },
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(model, loader, null, options, Optimizers.Sgd(model, 0.01)));
        Assert.Equal(setting, e.ParamName);
        Assert.Contains(range, e.Message);
    }

    [Fact]
    public void An_unwritable_checkpoint_path_is_found_before_training()
    {
        var (data, loader) = Data();
        using var _ = data;
        using var temp = new Data.TempDir();
        File.WriteAllText(temp["a-file"], "not a folder");
        var model = TestKit.TinyNet();
        var trainer = new Trainer(model, Optimizers.Sgd(model, 0.01), TestKit.Quiet(1) with { CheckpointPath = Path.Combine(temp["a-file"], "run.ckpt") });
        var e = Assert.Throws<CheckpointException>(() => trainer.Fit(loader));
        Assert.Contains(Path.Combine(temp["a-file"], "run.ckpt"), e.Message);
        Assert.Equal(0, trainer.GlobalStep);
    }

    [Fact]
    public void A_libtorch_failure_is_reported_in_one_paragraph_naming_where_it_happened()
    {
        var (data, loader) = Data();
        using var _ = data;
        var model = nn.Sequential(nn.Flatten(), nn.Linear(100, 10));   // expects 100 features; the images give 432
        var e = Assert.Throws<TorchOperationException>(() => Trainer.Fit(model, loader, null, TestKit.Quiet(1), Optimizers.Sgd(model, 0.01)));
        Assert.Contains("Training Sequential failed at epoch 1, mini-batch 1", e.Message);
        Assert.Contains("432 numbers per image, and the model takes 100", e.Message);
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied", e.Message);
        Assert.DoesNotContain("frame #", e.Message);
        Assert.Contains("frame #", e.NativeMessage);
    }

    [Fact]
    public void A_cancelled_run_stops_at_a_mini_batch_keeps_its_history_and_the_next_fit_continues_there()
    {
        Seed.Everything(5);
        var (data, loader) = Data(80, 4);   // 20 mini-batches per epoch
        using var _ = data;
        var model = TestKit.TinyNet();
        using var cancel = new CancellationTokenSource();
        var stopAfter = new StopAfter(7, cancel);
        var trainer = new Trainer(model, Optimizers.Sgd(model, 0.01), TestKit.Quiet(2) with { Callbacks = [stopAfter] });
        var e = Assert.Throws<TrainingStoppedException>(() => trainer.Fit(loader, cancellation: cancel.Token));
        Assert.Equal(new StopPosition(1, 7, 7), e.At);
        Assert.Equal("Stopped at epoch 1 of 2, mini-batch 7 (optimizer step 7). The model and the history so far are kept; call Fit again (run the cell again) to continue from here.", e.ToString());
        Assert.Equal(7, trainer.History.StepRecords.Count);

        trainer.Fit(loader);   // continues: the 13 mini-batches left of epoch 1, then epoch 2
        Assert.Equal(40, trainer.GlobalStep);
        Assert.Equal(new[] { 1, 2 }, trainer.History.Epochs);
        Assert.Null(trainer.StoppedAt);
    }

    [Fact]
    public void A_stopped_epoch_continued_visits_every_image_once()
    {
        Seed.Everything(6);
        var (data, loader) = Data(40, 4);
        using var _ = data;
        var model = TestKit.TinyNet();
        using var cancel = new CancellationTokenSource();
        var seen = new SeenLabels();
        var trainer = new Trainer(model, Optimizers.Sgd(model, 0.01), TestKit.Quiet(1) with { Callbacks = [new StopAfter(3, cancel), seen] });
        Assert.Throws<TrainingStoppedException>(() => trainer.Fit(loader, cancellation: cancel.Token));
        trainer.Fit(loader);
        Assert.Equal(data.Labels.data<long>().ToArray().Order(), seen.Labels.Order());
    }

    [Fact]
    public void Deferred_loss_reads_record_the_same_history_as_reading_each_loss()
    {
        TrainingHistory Run(bool readEach)
        {
            Seed.Everything(9);
            var (data, loader) = Data(48, 4);
            using var _ = data;
            var model = TestKit.TinyNet();
            var trainer = new Trainer(model, Optimizers.Sgd(model, 0.05), TestKit.Quiet(2) with { PrintEvery = 5 }) { ReadEachLoss = readEach };
            return trainer.Fit(loader);
        }
        var each = Run(true);
        var deferred = Run(false);
        Assert.Equal(each.StepLosses, deferred.StepLosses);
        Assert.Equal(each.TrainLosses, deferred.TrainLosses);
    }

    [Fact]
    public void A_nan_loss_read_late_says_how_many_steps_were_already_applied()
    {
        Seed.Everything(2);
        var (data, loader) = Data(40, 4);
        using var _ = data;
        var model = TestKit.TinyNet();
        int calls = 0;
        var ce = Losses.CrossEntropy();
        var options = TestKit.Quiet(1) with { Criterion = (l, y) => ++calls == 3 ? ce(l, y) * double.NaN : ce(l, y), PrintEvery = 5 };
        var trainer = new Trainer(model, Optimizers.Sgd(model, 0.01), options) { ReadEachLoss = false };
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(loader));
        Assert.Equal(3, e.MiniBatch);
        Assert.Equal(3, e.StepsApplied);   // read at the running-loss line after mini-batch 5: steps 3, 4 and 5 went through
        Assert.Contains("3 step(s) from that mini-batch on were already applied", e.Message);
    }

    [Fact]
    public void Bfloat16_training_keeps_float32_weights_and_learns()
    {
        Seed.Everything(4);
        using var data = TestKit.Synthetic(256, size: 16, seed: 4);
        using var loader = new BatchLoader(data, 32, shuffle: true, Normalization.Half(), seed: 4);
        var model = TestKit.TinyNet(width: 16);
        var trainer = new Trainer(model, Optimizers.Adam(model, 0.01), TestKit.Quiet(4) with { Precision = Precision.BFloat16 });
        var history = trainer.Fit(loader);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.False(Autocast.Enabled(DeviceType.CPU), "autocast must be off again after the run");
        Assert.True(history.TrainLosses[^1] < history.TrainLosses[0] * 0.8, $"losses {string.Join(", ", history.TrainLosses)}");
        using var x = randn(2, 3, 16, 16);
        Assert.Equal(ScalarType.Float32, model.call(x).dtype);
    }

    sealed class StopAfter(int miniBatches, CancellationTokenSource cancel) : TrainingCallback
    {
        public override void AfterBatch(Trainer t)
        {
            if (t.GlobalStep == miniBatches) cancel.Cancel();
        }
    }

    sealed class SeenLabels : TrainingCallback
    {
        public List<long> Labels { get; } = new();
        public override void AfterLoss(Trainer t) => Labels.AddRange(t.Batch!.Labels.data<long>().ToArray());
    }
}

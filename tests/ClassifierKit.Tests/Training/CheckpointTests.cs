using ClassifierKit.Platform;
using ClassifierKit.Data;
using ClassifierKit.Models;
using ClassifierKit.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

[Collection(GlobalRng.Name)]
public sealed class CheckpointTests(ITestOutputHelper log) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ckit-ckpt-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    sealed class Run : IDisposable
    {
        public readonly ImageDataset Data = TestKit.Synthetic(48);
        public readonly Augmentation Aug;
        public readonly BatchLoader Loader;
        public readonly nn.Module<Tensor, Tensor> Model;
        public readonly Trainer Trainer;

        public Run(int seed, int epochs, bool alternateFlips = false)
        {
            Seed.Everything(seed);
            Aug = new Augmentation(4, 0.5, alternateFlips: alternateFlips);   // TorchVision's crop and flip, or airbench's alternating flips
            Loader = new BatchLoader(Data, 8, shuffle: true, Normalization.Half(), Aug);
            Model = TestKit.TinyNet();
            var opt = Optimizers.Sgd(Model, 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4);
            var sched = new LrScheduler(opt, LrSchedule.OneCycle(0.05, 12));
            Trainer = new Trainer(Model, opt, TestKit.Quiet(epochs), sched);
        }

        public void Dispose()
        {
            Loader.Dispose();
            Aug.Dispose();
            Data.Dispose();
        }
    }

    [Fact]
    public void Round_trip_gives_identical_logits()
    {
        using var a = new Run(1, 1);
        a.Trainer.Fit(a.Loader);
        var path = Path.Combine(_dir, "a.ckpt");
        Checkpoint.Save(path, a.Trainer, a.Loader);
        using var b = new Run(99, 1);
        var info = Checkpoint.Load(path, b.Trainer, b.Loader);
        Assert.Equal(1, info.EpochsCompleted);
        Assert.Equal(6, info.GlobalStep);
        using var batch = a.Loader.GetBatch(0);
        a.Model.eval();
        b.Model.eval();
        using var la = a.Model.forward(batch.Images);
        using var lb = b.Model.forward(batch.Images);
        Assert.True(TestKit.Same(la, lb));
        Assert.Equal(a.Trainer.History.StepLosses, b.Trainer.History.StepLosses);
        Assert.Equal(a.Trainer.Scheduler!.LearningRate, b.Trainer.Optimizer.CurrentLearningRate());
    }

    // Alternating flips also need the epoch's number (the resumed loader has made no plan yet: the trainer's count says epoch 1)
    // and the seed of their halves (the resumed augmentation was made with another).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Resume_after_one_epoch_equals_two_epochs_uninterrupted(bool alternateFlips)
    {
        using var straight = new Run(5, 2, alternateFlips);
        straight.Trainer.Fit(straight.Loader);

        var path = Path.Combine(_dir, "resume.ckpt");
        using (var first = new Run(5, 1, alternateFlips))
        {
            first.Trainer.Options = first.Trainer.Options with { CheckpointPath = path };
            first.Trainer.Fit(first.Loader);
        }
        using var resumed = new Run(77, 2, alternateFlips); // different seed: everything must come from the checkpoint
        Checkpoint.Load(path, resumed.Trainer, resumed.Loader);
        resumed.Trainer.Fit(resumed.Loader);

        TestKit.AssertSameState(TestKit.Snapshot(straight.Model), resumed.Model);
        Assert.Equal(straight.Trainer.History.StepLosses, resumed.Trainer.History.StepLosses);
        Assert.Equal(straight.Trainer.GlobalStep, resumed.Trainer.GlobalStep);
    }

    [Fact]
    public void Saving_again_replaces_the_file_atomically_and_leaves_no_temp_files()
    {
        using var a = new Run(1, 1);
        var path = Path.Combine(_dir, "atomic.ckpt");
        Checkpoint.Save(path, a.Trainer, a.Loader);
        a.Trainer.Fit(a.Loader);
        Checkpoint.Save(path, a.Trainer, a.Loader);
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
        Assert.Equal(1, Checkpoint.ReadInfo(path).EpochsCompleted);
    }

    [Fact]
    public void Truncated_file_is_rejected_by_name_and_model_is_unchanged()
    {
        using var a = new Run(1, 1);
        var path = Path.Combine(_dir, "trunc.ckpt");
        Checkpoint.Save(path, a.Trainer, a.Loader);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        using var b = new Run(2, 1);
        var before = TestKit.Snapshot(b.Model);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, b.Trainer, b.Loader));
        log.WriteLine(e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        TestKit.AssertSameState(before, b.Model);
    }

    [Fact]
    public void Missing_key_is_named_and_model_is_unchanged()
    {
        using var a = new Run(1, 1);
        var path = Path.Combine(_dir, "missing.ckpt");
        Checkpoint.Save(path, a.Trainer, a.Loader);
        var bigger = nn.Sequential(("body", (nn.Module<Tensor, Tensor>)TestKit.TinyNet()), ("head", nn.Linear(10, 10)));
        var t = new Trainer(bigger, Optimizers.Sgd(bigger, 0.05, nesterov: true));
        var before = TestKit.Snapshot(bigger);
        var e = Assert.Throws<StateDictMismatchException>(() => Checkpoint.Load(path, t));
        log.WriteLine(e.Message);
        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.SourcePath);
        Assert.Contains("head.weight", e.Missing);
        Assert.Contains("conv1.weight", e.Unexpected);
        Assert.Contains("Missing keys: ", e.Message);
        TestKit.AssertSameState(before, bigger);
    }

    [Fact]
    public void Wrong_shape_is_named_and_model_is_unchanged()
    {
        using var a = new Run(1, 1);
        var path = Path.Combine(_dir, "shape.ckpt");
        Checkpoint.Save(path, a.Trainer, a.Loader);
        var wider = TestKit.TinyNet(width: 12);
        var t = new Trainer(wider, Optimizers.Sgd(wider, 0.05, nesterov: true));
        var before = TestKit.Snapshot(wider);
        var e = Assert.Throws<StateDictMismatchException>(() => Checkpoint.Load(path, t));
        log.WriteLine(e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains(e.Mismatched, m => m.StartsWith("conv1.weight: model Float32 [12, 3, 3, 3] vs stored Float32 [8, 3, 3, 3]"));
        TestKit.AssertSameState(before, wider);
    }

    [Fact]
    public void A_module_save_file_is_named_as_not_a_checkpoint_rather_than_as_corrupt()
    {
        using var a = new Run(1, 1);
        var path = Path.Combine(_dir, "weights.dat");
        a.Model.save(path);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, a.Trainer));
        Assert.Contains("is not a ClassifierKit checkpoint", e.Message);
        Assert.Contains("model.load(path)", e.Message);
        Assert.DoesNotContain("checksum", e.Message);
    }

    [Fact]
    public void Saving_where_no_file_can_be_written_names_the_target_and_keeps_the_last_checkpoint()
    {
        using var a = new Run(1, 1);
        var good = Path.Combine(_dir, "good.ckpt");
        Checkpoint.Save(good, a.Trainer, a.Loader);
        var before = File.ReadAllBytes(good);
        var blocker = Path.Combine(_dir, "a-file");
        File.WriteAllText(blocker, "not a folder");
        var impossible = Path.Combine(blocker, "run.ckpt");
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Save(impossible, a.Trainer, a.Loader));
        Assert.Contains(impossible, e.Message);
        Assert.Contains("Choose a folder you can write to", e.Message);
        var folder = Assert.Throws<CheckpointException>(() => Checkpoint.Save(_dir, a.Trainer, a.Loader));
        Assert.Contains("is a folder", folder.Message);
        Assert.Equal(before, File.ReadAllBytes(good));
    }
}

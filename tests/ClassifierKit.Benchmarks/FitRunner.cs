using ClassifierKit.Data;
using TorchSharp;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>
/// Runs a <see cref="Phase.Fit"/> row through the real <see cref="Trainer.Fit(BatchLoader, BatchLoader?, CancellationToken)"/>, as
/// notebook 02 trains: one epoch over a warm-up subset first, then each repeat is one more epoch over a subset of exactly
/// steps x batch images (the first images of the split, shuffled per epoch), timed from the call to its return. Everything the
/// trainer does per step is in the time: its callbacks (loss read, accuracy count, progress), the precision's weight copies.
/// </summary>
public static class FitRunner
{
    public static RowResult Run(BenchmarkCase c, ImageDataset data, Device device, BenchmarkOptions o, int steps, int warmup)
    {
        torch.random.manual_seed(1);
        using var model = c.CreateModel();
        model.to(device);
        using var optimizer = c.CreateOptimizer(model);
        using var augmentation = c.Augment ? Augmentation.CropAndFlip(seed: 1) : null;
        var trainer = new Trainer(model, optimizer, new TrainingOptions
        {
            Epochs = 1, PrintEvery = 0, Progress = SilentProgressReporter.Instance, EvaluateEachEpoch = false, Precision = c.Precision,
            // The allocator switch is process-wide: leave it to --reuse-memory so every row of a run shares one setting.
            ReuseFreedMemory = o.ReuseMemory,
            MklByCpuFeatures = !o.MklAsShipped,   // one run, one MKL setting
        });

        if (warmup > 0) Epoch(trainer, c, data, warmup, device, augmentation);
        var repeats = new List<RepeatResult>();
        for (int r = 0; r < o.Repeats; r++)
        {
            var (images, doneSteps, seconds) = Epoch(trainer, c, data, steps, device, augmentation);
            repeats.Add(new RepeatResult(doneSteps, images, seconds, 0, 0, 0, 0));
        }
        return new RowResult(c, repeats, warmup, ProcessMemory.PeakResidentBytes(), ProcessMemory.ResidentBytes());
    }

    // One more epoch of `steps` full batches (fewer when the split is smaller), copied to the device batch by batch as the
    // benchmark always has; returns images, steps and wall seconds.
    static (long Images, int Steps, double Seconds) Epoch(Trainer trainer, BenchmarkCase c, ImageDataset data, int steps, Device device, Augmentation? augmentation)
    {
        var (images, seconds) = TrainingSpeed.TimeEpoch(trainer, data, c.BatchSize, steps, device, c.Normalization, augmentation, onDevice: false);
        return (images, (int)(images / c.BatchSize), seconds);
    }
}

using System.Diagnostics;
using ClassifierKit.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>
/// Training speed measured through <see cref="Trainer.Fit(BatchLoader, BatchLoader?, CancellationToken)"/> itself, the path
/// every notebook trains on (its thread choice, allocator setting, precision and per-step bookkeeping included), so that a
/// speed shown in a notebook is the speed its training runs at. The benchmark's Fit rows time their epochs with
/// <see cref="TimeEpoch"/> too.
/// </summary>
public static class TrainingSpeed
{
    /// <summary>
    /// Images per second of <paramref name="model"/> training on <paramref name="data"/> at <paramref name="batchSize"/>:
    /// one untimed epoch of <paramref name="warmup"/> full batches (memory allocation, kernel selection), then one timed
    /// epoch of <paramref name="steps"/> full batches, from the call to its return (on CUDA, after the device finished).
    /// </summary>
    /// <param name="model">The network, trained in place (its weights change).</param>
    /// <param name="data">The images: the first steps x batchSize are timed (warmup x batchSize warm up), shuffled.</param>
    /// <param name="batchSize">Images per step.</param>
    /// <param name="steps">Timed steps.</param>
    /// <param name="warmup">Untimed steps before them.</param>
    /// <param name="device">Where the model trains.</param>
    /// <param name="optimizer">Builds the optimizer; null: SGD, learning rate 0.01, momentum 0.9.</param>
    /// <param name="precision">The arithmetic, as <see cref="TrainingOptions.Precision"/>.</param>
    /// <param name="onDevice">True: the images sit on <paramref name="device"/> before training (no copy per batch). False:
    /// they stay in host memory and the loader copies each batch to the device, as a data set too big for the GPU would.</param>
    public static double ImagesPerSecond(nn.Module<Tensor, Tensor> model, ImageDataset data, int batchSize, int steps, int warmup, Device device,
        Func<nn.Module, optim.Optimizer>? optimizer = null, Precision precision = Precision.Float32, bool onDevice = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "time at least one step.");
        if (warmup < 0) throw new ArgumentOutOfRangeException(nameof(warmup), warmup, "warm-up steps cannot be negative.");
        if (data.Count < (long)batchSize * Math.Max(steps, warmup))
            throw new ArgumentException($"{data.Count:N0} images make fewer than {Math.Max(steps, warmup)} batches of {batchSize}: " +
                                        "give more images or time fewer steps.", nameof(data));
        model.to(device);
        var trainer = new Trainer(model, (optimizer ?? (m => Optimizers.Sgd(m, lr: 0.01, momentum: 0.9)))(model), new TrainingOptions
        {
            Epochs = 1, PrintEvery = 0, Progress = SilentProgressReporter.Instance, EvaluateEachEpoch = false, Precision = precision,
        });
        if (warmup > 0) TimeEpoch(trainer, data, batchSize, warmup, device, Normalization.Half(), onDevice: onDevice);
        var (images, seconds) = TimeEpoch(trainer, data, batchSize, steps, device, Normalization.Half(), onDevice: onDevice);
        return images / seconds;
    }

    /// <summary>
    /// One more epoch of <paramref name="trainer"/> over exactly <paramref name="steps"/> full batches (the first images of
    /// <paramref name="data"/>, shuffled), timed from the call to its return; returns the images trained on and the seconds.
    /// The benchmark's Fit rows time their repeats with it.
    /// </summary>
    public static (long Images, double Seconds) TimeEpoch(Trainer trainer, ImageDataset data, int batchSize, int steps, Device device,
        Normalization normalization, Augmentation? augmentation = null, bool onDevice = true)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        using var subset = data.Take((long)steps * batchSize);
        using var placed = onDevice && device.type != subset.Images.device_type ? subset.To(device) : null;   // a copy only where it moves
        using var loader = new BatchLoader(placed ?? subset, batchSize, shuffle: true, normalization, augmentation, dropLast: true,
            device: onDevice ? null : device, seed: trainer.EpochsCompleted + 1);
        trainer.Options = trainer.Options with { Epochs = trainer.EpochsCompleted + 1 };
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        var clock = Stopwatch.StartNew();
        trainer.Fit(loader);
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        return ((long)loader.Count * batchSize, clock.Elapsed.TotalSeconds);
    }
}

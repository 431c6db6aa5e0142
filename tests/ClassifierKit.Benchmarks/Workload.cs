using ClassifierKit.Data;
using ClassifierKit.Platform;
using ClassifierKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>
/// Everything one row steps through: a fresh model on the device, its optimizer, and a <see cref="BatchLoader"/> read
/// through its enumerator across epochs (a new epoch starts when one runs out, as a training loop would).
/// <see cref="Step"/> runs one step inside its own dispose scope and charges its parts to a <see cref="PhaseTimer"/>.
/// </summary>
public sealed class Workload : IDisposable
{
    readonly BenchmarkCase c;
    readonly nn.Module<Tensor, Tensor> model;
    readonly optim.Optimizer? optimizer;
    readonly Augmentation? augmentation;
    readonly BatchLoader loader;
    readonly Func<Tensor, Tensor, Tensor> criterion = Losses.CrossEntropy();
    readonly Batch? fixedBatch;
    readonly IDisposable? oneDnnGuard;
    readonly IDisposable? noGrad;
    IEnumerator<Batch>? epoch;

    public Workload(BenchmarkCase c, ImageDataset data, Device device, long seed, Action<string>? report = null)
    {
        this.c = c;
        torch.random.manual_seed(seed);
        if (device.type == DeviceType.CPU) Denormals.FlushToZero();   // as Trainer.Fit does (TrainingOptions.FlushDenormals)
        model = c.CreateModel();
        model.to(device);
        augmentation = c.Augment ? Augmentation.CropAndFlip(seed) : null;
        loader = new BatchLoader(data, c.BatchSize, shuffle: c.Phase != Phase.Eval, c.Normalization, augmentation, device: device, seed: seed);
        if (c.Phase == Phase.Eval)
        {
            model.eval();
            noGrad = no_grad();
        }
        else
        {
            optimizer = c.CreateOptimizer(model);
            model.train();
            optimizer.DropGradients();
            // As Trainer.Fit does: where the probe finds a oneDNN bug that this model's conv widths hit, it trains with oneDNN off.
            oneDnnGuard = OneDnn.AvoidBugFor(model, device, report);
        }
        if (c.Phase == Phase.PureTrain) fixedBatch = loader.GetBatch(0);
    }

    /// <summary>One step; returns the number of images it processed.</summary>
    public long Step(PhaseTimer timer)
    {
        using var scope = NewDisposeScope();
        timer.Skip();
        var batch = fixedBatch ?? NextBatch();
        timer.Mark(StepPart.Data);

        var loss = criterion(model.forward(batch.Images), batch.Labels);
        if (c.Phase == Phase.Eval)
        {
            timer.Mark(StepPart.Forward);
            return batch.Size;
        }
        // One host read per step, as Trainer.Fit does; it also catches a NaN (e.g. the oneDNN bug) right away.
        var value = loss.item<float>();
        if (!float.IsFinite(value))
            throw new InvalidOperationException($"{c.Id}: loss is {value}; the benchmark would time garbage");
        timer.Mark(StepPart.Forward);

        loss.backward();
        timer.Mark(StepPart.Backward);

        // Step and drop the gradients inside the scope that ran backward, as Trainer.Fit does.
        optimizer!.step();
        optimizer.DropGradients();
        timer.Mark(StepPart.Optimizer);
        return batch.Size;
    }

    Batch NextBatch()
    {
        epoch ??= loader.GetEnumerator();
        if (epoch.MoveNext()) return epoch.Current;
        epoch.Dispose();
        epoch = loader.GetEnumerator();
        return epoch.MoveNext() ? epoch.Current : throw new InvalidOperationException($"{c.Id}: the loader yields no batches");
    }

    public void Dispose()
    {
        epoch?.Dispose();
        fixedBatch?.Dispose();
        noGrad?.Dispose();
        oneDnnGuard?.Dispose();
        loader.Dispose();
        augmentation?.Dispose();
        optimizer?.Dispose();
        model.Dispose();
    }
}

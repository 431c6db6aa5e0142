using System.Diagnostics;
using ClassifierKit.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>
/// The blog's net_trainer / net_trainer_gpu in one device-agnostic loop: the device is wherever the loader delivers batches
/// and the model lives. Holds the run's state (epochs done, optimizer steps, history) so it can be checkpointed and resumed.
/// </summary>
public sealed class Trainer
{
    /// <summary>The model being trained.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }
    /// <summary>The optimizer stepping the model's parameters.</summary>
    public optim.Optimizer Optimizer { get; }
    /// <summary>Optional learning-rate scheduler.</summary>
    public LrScheduler? Scheduler { get; }
    /// <summary>Run settings.</summary>
    public TrainingOptions Options { get; set; }
    /// <summary>Losses, learning rates and accuracies recorded so far.</summary>
    public TrainingHistory History { get; internal set; } = new();
    /// <summary>Epochs completed so far; <see cref="Fit(BatchLoader, BatchLoader?)"/> continues after it.</summary>
    public int EpochsCompleted { get; internal set; }
    /// <summary>Optimizer steps taken so far.</summary>
    public long GlobalStep { get; internal set; }

    /// <summary>A trainer for <paramref name="model"/>; options default to <see cref="TrainingOptions"/>' defaults.</summary>
    public Trainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, TrainingOptions? options = null, LrScheduler? scheduler = null)
    {
        if (scheduler is not null && !ReferenceEquals(scheduler.Optimizer, optimizer))
            throw new ArgumentException("the scheduler drives a different optimizer than the one given", nameof(scheduler));
        Model = model;
        Optimizer = optimizer;
        Options = options ?? new TrainingOptions();
        Scheduler = scheduler;
    }

    /// <summary>One-line training from a notebook: trains <paramref name="model"/> for options.Epochs and returns the history.</summary>
    public static TrainingHistory Fit(nn.Module<Tensor, Tensor> model, BatchLoader trainLoader, BatchLoader? testLoader,
        TrainingOptions options, optim.Optimizer optimizer, LrScheduler? scheduler = null) =>
        new Trainer(model, optimizer, options, scheduler).Fit(trainLoader, testLoader);

    /// <summary>The blog's running-loss line, <c>[%d, %5d] loss: %.3f</c>, e.g. <c>[1,  2000] loss: 2.161</c>.</summary>
    public static string FormatRunningLoss(int epoch, int miniBatch, double loss) =>
        FormattableString.Invariant($"[{epoch}, {miniBatch,5}] loss: {loss:F3}");

    /// <summary>Trains from epoch <see cref="EpochsCompleted"/> + 1 up to Options.Epochs; returns <see cref="History"/>.</summary>
    public TrainingHistory Fit(BatchLoader trainLoader, BatchLoader? testLoader = null)
    {
        var o = Options;
        if (o.AccumulationSteps < 1) throw new ArgumentOutOfRangeException(nameof(o.AccumulationSteps));
        var reporter = o.Progress ?? Display.NotebookProgressReporter.Create($"Training {Model.GetType().Name}");
        var criterion = o.Criterion ?? Losses.CrossEntropy(o.LabelSmoothing);
        double? lastFinite = History.StepRecords.Count > 0 ? History.StepRecords[^1].Loss : null;
        using var oneDnnOff = OneDnn.AvoidBugFor(Model, trainLoader.Device, reporter.OnMessage);
        if (o.ReuseFreedMemory && trainLoader.Device.type == DeviceType.CPU) CpuMemory.ReuseFreedMemory();

        Model.train();
        Optimizer.zero_grad();
        for (int epoch = EpochsCompleted + 1; epoch <= o.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            TimeSpan? lastReport = null;
            int total = trainLoader.Count, miniBatch = 0, pending = 0;
            double running = 0, pendingLoss = 0, epochLoss = 0;
            int runningCount = 0;
            double? shownLoss = null;

            void OptimizerStep()
            {
                var lr = Optimizer.CurrentLearningRate();
                Optimizer.step();
                Optimizer.zero_grad();
                GlobalStep++;
                History.StepRecords.Add(new StepRecord(GlobalStep, epoch, pendingLoss / pending, lr));
                if (Scheduler?.Unit == ScheduleUnit.Batch) Scheduler.Advance();
                pending = 0;
                pendingLoss = 0;
            }

            foreach (var batch in trainLoader)
            {
                miniBatch++;
                using (var scope = NewDisposeScope())
                {
                    var loss = criterion(Model.forward(batch.Images), batch.Labels);
                    // One host sync per mini-batch, as the blog's loss.item(): it lets us stop before a bad step touches the weights.
                    double value = loss.item<float>();
                    if (!double.IsFinite(value))
                    {
                        Optimizer.zero_grad();
                        throw new TrainingDivergedException(epoch, miniBatch, GlobalStep + 1, value, lastFinite, Optimizer.CurrentLearningRate());
                    }
                    lastFinite = value;
                    (o.AccumulationSteps == 1 ? loss : loss / o.AccumulationSteps).backward();
                    pending++;
                    pendingLoss += value;
                    running += value;
                    runningCount++;
                    epochLoss += value;
                    // The step must run in the scope that ran backward: stepping after that scope closed read garbage gradients (TorchSharp 0.107).
                    if (pending == o.AccumulationSteps) OptimizerStep();
                }

                if (o.PrintEvery > 0 && miniBatch % o.PrintEvery == 0)
                {
                    shownLoss = running / o.PrintEvery;
                    reporter.OnMessage(FormatRunningLoss(epoch, miniBatch, shownLoss.Value));
                    running = 0;
                    runningCount = 0;
                }
                var elapsed = clock.Elapsed;
                if (miniBatch == total || lastReport is null || elapsed - lastReport >= o.ProgressInterval)
                {
                    lastReport = elapsed;
                    double rate = miniBatch / Math.Max(elapsed.TotalSeconds, 1e-9);
                    reporter.OnProgress(new TrainingProgress(epoch, o.Epochs, miniBatch, total, GlobalStep, elapsed, rate,
                        TimeSpan.FromSeconds((total - miniBatch) / rate), runningCount > 0 ? running / runningCount : shownLoss,
                        Optimizer.CurrentLearningRate()));
                }
            }
            if (pending > 0)
                using (NewDisposeScope())
                    OptimizerStep();
            if (Scheduler?.Unit == ScheduleUnit.Epoch) Scheduler.Advance();

            EvaluationResult? eval = testLoader is not null && o.EvaluateEachEpoch ? Evaluation.Evaluate(Model, testLoader, o.TestTimeFlip) : null;
            var record = new EpochRecord(epoch, epochLoss / Math.Max(1, miniBatch), eval?.Loss, eval?.Accuracy,
                Optimizer.CurrentLearningRate(), clock.Elapsed.TotalSeconds);
            History.EpochRecords.Add(record);
            EpochsCompleted = epoch;
            reporter.OnEpochEnd(record);
            if (o.CheckpointPath is not null) Checkpoint.Save(o.CheckpointPath, this, trainLoader);
        }
        reporter.OnMessage("Finished Training");
        return History;
    }
}

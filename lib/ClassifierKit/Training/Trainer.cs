using ClassifierKit.Data;
using ClassifierKit.Platform;
using ClassifierKit.Training.Callbacks;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>
/// The blog's net_trainer / net_trainer_gpu as one device-agnostic loop: zero_grad, forward, loss, backward, step, with
/// everything else hung on <see cref="TrainingCallback"/>s. Holds the run's state (epochs done, optimizer steps, history,
/// where a stopped run stopped), so it can be stopped, continued, checkpointed and resumed.
/// </summary>
public sealed class Trainer
{
    /// <summary>The model being trained.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }
    /// <summary>The optimizer stepping the model's parameters.</summary>
    public optim.Optimizer Optimizer { get; }
    /// <summary>Optional learning-rate scheduler.</summary>
    public LrScheduler? Scheduler { get; }
    /// <summary>Run settings; may be changed between calls of <see cref="Fit(BatchLoader, BatchLoader?, CancellationToken)"/> (e.g. more epochs).</summary>
    public TrainingOptions Options { get; set; }
    /// <summary>Losses, learning rates and accuracies recorded so far.</summary>
    public TrainingHistory History { get; internal set; } = new();
    /// <summary>Epochs completed so far; <see cref="Fit(BatchLoader, BatchLoader?, CancellationToken)"/> continues after it.</summary>
    public int EpochsCompleted { get; internal set; }
    /// <summary>Optimizer steps taken so far.</summary>
    public long GlobalStep { get; internal set; }
    /// <summary>Where the last run was stopped, if it was; the next <see cref="Fit(BatchLoader, BatchLoader?, CancellationToken)"/> continues from there.</summary>
    public StopPosition? StoppedAt { get; private set; }

    // --- the state of the run in progress, for callbacks ---
    /// <summary>The 1-based epoch being trained.</summary>
    public int Epoch { get; private set; }
    /// <summary>Mini-batches of <see cref="Epoch"/> done so far (the current one included once its loss is computed).</summary>
    public int MiniBatch { get; private set; }
    /// <summary>The training loader of the run in progress.</summary>
    public BatchLoader? TrainLoader { get; private set; }
    /// <summary>The test loader of the run in progress, if any.</summary>
    public BatchLoader? TestLoader { get; private set; }
    /// <summary>Where the run's progress and messages go.</summary>
    public IProgressReporter Reporter { get; private set; } = SilentProgressReporter.Instance;
    /// <summary>The current mini-batch (valid from <see cref="TrainingCallback.AfterLoss"/> to <see cref="TrainingCallback.AfterBatch"/>).</summary>
    public Batch? Batch { get; private set; }
    /// <summary>The model's float32 logits for the current mini-batch (same validity).</summary>
    public Tensor? Logits { get; private set; }
    /// <summary>The current mini-batch's loss (same validity).</summary>
    public Tensor? Loss { get; private set; }
    /// <summary>Fires when the run in progress is asked to stop (for callbacks that do long work, like evaluation).</summary>
    public CancellationToken StopToken { get; private set; }
    /// <summary>The evaluation done at the end of the last epoch, if any.</summary>
    public EvaluationResult? LastEvaluation { get; internal set; }

    readonly LossRecorder _losses = new();

    /// <summary>Tests force the GPU's way of reading losses (deferred, in batches) on the CPU through this.</summary>
    internal bool? ReadEachLoss { set => _losses.ReadEachLoss = value; }
    readonly TrainingCallback[] _builtIn;
    MixedPrecision _precision = new(Precision.Float32, CPU);
    Func<Tensor, Tensor, Tensor> _criterion = Losses.CrossEntropy();
    int _pending;               // mini-batches backpropagated since the last optimizer step
    Tensor? _order;             // the visiting order of the epoch in progress (kept across a stop)
    BatchLoader? _orderLoader;  // the loader that order belongs to
    bool _epochEnding;          // the epoch's batches are done and its end-of-epoch work has begun

    /// <summary>A trainer for <paramref name="model"/>; options default to <see cref="TrainingOptions"/>' defaults.</summary>
    public Trainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, TrainingOptions? options = null, LrScheduler? scheduler = null)
    {
        if (scheduler is not null && !ReferenceEquals(scheduler.Optimizer, optimizer))
            throw new ArgumentException("the scheduler drives a different optimizer than the one given; create the scheduler from this optimizer.", nameof(scheduler));
        Model = model;
        Optimizer = optimizer;
        Options = options ?? new TrainingOptions();
        Scheduler = scheduler;
        // Order matters: the history is complete before anything reports it, and the checkpoint is written last.
        var clock = new EpochClock();
        var trainAccuracy = new TrainAccuracy();
        _builtIn = [clock, _losses, new RunningLossPrinter(_losses), trainAccuracy, new EpochRecorder(_losses, trainAccuracy, clock),
                    new ProgressCallback(_losses, clock), new CheckpointEachEpoch()];
    }

    /// <summary>One-line training from a notebook: trains <paramref name="model"/> for options.Epochs and returns the history.</summary>
    public static TrainingHistory Fit(nn.Module<Tensor, Tensor> model, BatchLoader trainLoader, BatchLoader? testLoader,
        TrainingOptions options, optim.Optimizer optimizer, LrScheduler? scheduler = null) =>
        new Trainer(model, optimizer, options, scheduler).Fit(trainLoader, testLoader);

    /// <summary>The blog's running-loss line, <c>[%d, %5d] loss: %.3f</c>, e.g. <c>[1,  2000] loss: 2.161</c>.</summary>
    public static string FormatRunningLoss(int epoch, int miniBatch, double loss) =>
        FormattableString.Invariant($"[{epoch}, {miniBatch,5}] loss: {loss:F3}");

    /// <summary>
    /// Trains from where the trainer is (after <see cref="EpochsCompleted"/>, or where a stopped run stopped) up to
    /// Options.Epochs and returns <see cref="History"/>. Stops within one mini-batch when <paramref name="cancellation"/> or a
    /// registered <see cref="StopRequests"/> source fires, throwing <see cref="TrainingStoppedException"/>; calling Fit again continues.
    /// </summary>
    public TrainingHistory Fit(BatchLoader trainLoader, BatchLoader? testLoader = null, CancellationToken cancellation = default)
    {
        CheckRun(trainLoader, testLoader);
        if (StoppedAt is null && EpochsCompleted >= Options.Epochs)
        {
            (Options.Progress ?? TrainingDefaults.ProgressReporter($"Training {Model.GetType().Name}")).OnMessage(
                $"Already trained {EpochsCompleted} of {Options.Epochs} epochs; nothing to do. Raise Options.Epochs to train more.");
            return History;
        }
        using var stop = StopRequests.ForRun(cancellation);
        StopToken = stop.Token;
        (TrainLoader, TestLoader) = (trainLoader, testLoader);
        Reporter = Options.Progress ?? TrainingDefaults.ProgressReporter($"Training {Model.GetType().Name}");
        _criterion = Options.Criterion ?? Losses.CrossEntropy(Options.LabelSmoothing);
        _precision = new MixedPrecision(Options.Precision, trainLoader.Device);
        var callbacks = _builtIn.Concat(Options.Callbacks).ToArray();
        using var switches = ProcessSwitches.For(Model, trainLoader, Options, Reporter.OnMessage);
        bool wasTraining = Model.training;
        Model.train();
        try
        {
            Raise(callbacks, c => c.BeforeFit(this));
            for (Epoch = StoppedAt?.Epoch ?? EpochsCompleted + 1; Epoch <= Options.Epochs; Epoch++)
            {
                int first = StoppedAt?.MiniBatchesDone ?? 0;
                StoppedAt = null;
                if (_order is null)
                {
                    _order = trainLoader.NewEpochOrder();
                    _orderLoader = trainLoader;
                }
                MiniBatch = first;
                Raise(callbacks, c => c.BeforeEpoch(this));
                if (!_epochEnding)
                    foreach (var batch in trainLoader.Epoch(_order, first))
                    {
                        StopToken.ThrowIfCancellationRequested();
                        MiniBatch++;
                        OneBatch(batch, callbacks);
                        foreach (var c in callbacks) c.AfterBatch(this);
                    }
                EndEpoch(callbacks);
            }
            StoppedAt = null;
            Raise(callbacks, c => c.AfterFit(this));
            return History;
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            StoppedAt = new StopPosition(Epoch, MiniBatch, GlobalStep);
            Raise(callbacks, c => c.AfterStop(this));
            throw new TrainingStoppedException(StoppedAt, Options.Epochs);
        }
        finally
        {
            (Batch, Logits, Loss) = (null, null, null);
            Model.train(wasTraining);
        }
    }

    // The five moves of the blog's loop; the optimizer steps every AccumulationSteps mini-batches.
    void OneBatch(Batch batch, TrainingCallback[] callbacks)
    {
        using var scope = NewDisposeScope();
        try
        {
            Batch = batch;
            Logits = _precision.Forward(Model, batch.Images);
            Loss = _criterion(Logits, batch.Labels);
            foreach (var c in callbacks) c.AfterLoss(this);
            _precision.Backward(Loss, Options.AccumulationSteps);
            // The step must run in the scope that ran backward: stepping after that scope closed read garbage gradients (TorchSharp 0.107).
            if (++_pending == Options.AccumulationSteps) Step(callbacks);
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            throw new TorchOperationException(
                $"Training failed at epoch {Epoch}, mini-batch {MiniBatch} (images [{string.Join(", ", batch.Images.shape)}]) in {Model.GetType().Name}", e);
        }
    }

    void Step(TrainingCallback[] callbacks)
    {
        if (_precision.Step(Optimizer))
        {
            GlobalStep++;
            foreach (var c in callbacks) c.AfterStep(this);
            if (Scheduler?.Unit == ScheduleUnit.Batch) Scheduler.Advance();
        }
        Optimizer.zero_grad();
        _pending = 0;
    }

    void EndEpoch(TrainingCallback[] callbacks)
    {
        if (!_epochEnding)
        {
            _epochEnding = true;
            if (_pending > 0)
                using (NewDisposeScope())
                    Step(callbacks);
            if (Scheduler?.Unit == ScheduleUnit.Epoch) Scheduler.Advance();
        }
        EpochsCompleted = Epoch; // before the callbacks, so a checkpoint written there records this epoch as done
        Raise(callbacks, c => c.AfterEpoch(this)); // evaluation can be stopped; it then runs again when the run continues
        _epochEnding = false;
        _order?.Dispose();
        (_order, _orderLoader) = (null, null);
    }

    // The rare events; the per-mini-batch ones call the callbacks directly, without a delegate.
    static void Raise(TrainingCallback[] callbacks, Action<TrainingCallback> handler)
    {
        foreach (var c in callbacks) handler(c);
    }

    void CheckRun(BatchLoader trainLoader, BatchLoader? testLoader)
    {
        Options.Validate();
        if (trainLoader.Count == 0)
            throw new ArgumentException("the training loader yields no mini-batches; give it at least one image.", nameof(trainLoader));
        if (StoppedAt is not null && _orderLoader is not null && !ReferenceEquals(trainLoader, _orderLoader))
            throw new ArgumentException(
                $"this trainer was stopped at epoch {StoppedAt.Epoch}, mini-batch {StoppedAt.MiniBatchesDone} of another training loader; " +
                "continue with the same loader, or create a new Trainer to start over.", nameof(trainLoader));
        if (testLoader is not null && testLoader.Classes.Count != trainLoader.Classes.Count)
            throw new ArgumentException(
                $"the test loader has {testLoader.Classes.Count} classes but the training loader has {trainLoader.Classes.Count}.", nameof(testLoader));
        CheckOptimizerHoldsTheModel();
    }

    // A notebook classic: the model cell was run again but the optimizer cell was not, so the optimizer steps the old model's
    // parameters and the new model never learns (the loss stays at ln(10) = 2.303).
    void CheckOptimizerHoldsTheModel()
    {
        var held = new HashSet<Tensor>(Optimizer.parameters(), ReferenceEqualityComparer.Instance);
        var trainable = Model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var missing = trainable.Where(p => !held.Contains(p.parameter)).Select(p => p.name).ToList();
        if (missing.Count == 0) return;
        throw new ArgumentException(missing.Count == trainable.Count
            ? $"The optimizer holds none of this {Model.GetType().Name}'s parameters: it was created for another model (was the model cell " +
              "run again after the optimizer cell?). Create the optimizer again from this model's parameters(); training would change nothing."
            : $"The optimizer lacks {missing.Count} of this model's {trainable.Count} trainable parameters ({string.Join(", ", missing.Take(5))}" +
              $"{(missing.Count > 5 ? ", ..." : "")}); they would never change. Create the optimizer from model.parameters(), or freeze them (requires_grad = false).");
    }
}

/// <summary>Where a stopped run stopped: in <see cref="Epoch"/> after <see cref="MiniBatchesDone"/> mini-batches, after optimizer step <see cref="GlobalStep"/>.</summary>
public sealed record StopPosition(int Epoch, int MiniBatchesDone, long GlobalStep);

/// <summary>A run was stopped on request (Stop button, Ctrl+C, a cancelled token); the trainer kept its state and the history so far.</summary>
public sealed class TrainingStoppedException(StopPosition at, int epochs) : OperationCanceledException(
    FormattableString.Invariant($"Stopped at epoch {at.Epoch} of {epochs}, mini-batch {at.MiniBatchesDone:N0} (optimizer step {at.GlobalStep:N0}). ") +
    "The model and the history so far are kept; call Fit again (run the cell again) to continue from here.")
{
    /// <summary>Where the run stopped.</summary>
    public StopPosition At { get; } = at;

    /// <summary>The message alone: a stop is a request that was honoured, not a fault, so a notebook shows one line, not a stack trace.</summary>
    public override string ToString() => Message;
}

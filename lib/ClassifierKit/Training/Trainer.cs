using ClassifierKit.Data;
using ClassifierKit.Models;
using ClassifierKit.Platform;
using ClassifierKit.Training.Callbacks;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>
/// The blog's net_trainer / net_trainer_gpu as one device-agnostic loop: zero_grad, forward, loss, backward, step, with
/// running-loss lines, history, evaluation and checkpoints around it and anything else hung on <see cref="TrainingCallback"/>s.
/// Where the run stands is one record, <see cref="State"/>, which every optimizer step commits: whatever ends a Fit early
/// (Stop, an exception anywhere in the loop, a failed evaluation or checkpoint, the NaN guard) puts the trainer back on its
/// last commit, and calling Fit again continues from there.
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
    public TrainingHistory History { get; private set; } = new();

    /// <summary>The process-wide switches this trainer's runs flipped (threads, allocator, oneDNN, NNPACK), one note each, in
    /// order; printed as well only with <see cref="TrainingOptions.ShowProcessNotes"/>.</summary>
    public IReadOnlyList<string> Notes => _notes;
    readonly List<string> _notes = [];
    /// <summary>Where the run stands after its last committed step: what the next Fit continues from.</summary>
    public TrainingState State { get; private set; } = TrainingState.New;
    /// <summary>Epochs completed so far; <see cref="Fit(BatchLoader, BatchLoader?, CancellationToken)"/> continues after it.</summary>
    public int EpochsCompleted => _live.EpochsCompleted;
    /// <summary>Optimizer steps taken so far.</summary>
    public long GlobalStep => _live.GlobalStep;
    /// <summary>The totals of the epoch in progress (losses, training accuracy, time).</summary>
    public EpochTotals Totals => _live.Totals with { Seconds = EpochSeconds };
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
    public EvaluationResult? LastEvaluation { get; private set; }
    /// <summary>Wall seconds spent training the epoch in progress.</summary>
    public double EpochSeconds => _secondsBefore + _clock.Elapsed.TotalSeconds;

    /// <summary>Tests force the GPU's way of reading losses (deferred, in batches) on the CPU through this.</summary>
    internal bool? ReadEachLoss { get; set; }

    readonly LossReader _reader;
    readonly TrainingCallback[] _builtIn;
    readonly System.Diagnostics.Stopwatch _clock = new();
    TrainingState _live = TrainingState.New;    // the state as the step in progress changes it; committed into State
    double _secondsBefore;                      // the epoch's seconds before this Fit resumed it
    MixedPrecision _precision = new(Precision.Float32, CPU);
    Func<Tensor, Tensor, Tensor> _criterion = Losses.CrossEntropy();
    int _pending;                               // mini-batches backpropagated since the last optimizer step
    EpochPlan? _plan;                           // the order (and augmentation seed) of the epoch in progress
    BatchLoader? _planLoader;                   // the loader that plan belongs to
    Tensor? _rngAtCommit;                       // torch's random state at the last commit
    List<(Tensor Live, Tensor Saved)> _buffersAtCommit = new();   // the model's buffers (batch-norm statistics) at the last commit
    bool _outputsChecked;

    /// <summary>A trainer for <paramref name="model"/>; options default to <see cref="TrainingOptions"/>' defaults.</summary>
    public Trainer(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, TrainingOptions? options = null, LrScheduler? scheduler = null)
    {
        if (scheduler is not null && !ReferenceEquals(scheduler.Optimizer, optimizer))
            throw new ArgumentException("the scheduler drives a different optimizer than the one given; create the scheduler from this optimizer.", nameof(scheduler));
        Model = model;
        Optimizer = optimizer;
        Options = options ?? new TrainingOptions();
        Scheduler = scheduler;
        _reader = new LossReader(this);
        // Order matters: the epoch's record is complete before the progress reporter shows it, and the checkpoint is written last.
        _builtIn = [new ProgressCallback(), new CheckpointEachEpoch()];
    }

    /// <summary>One-line training from a notebook: trains <paramref name="model"/> for options.Epochs and returns the history.</summary>
    public static TrainingHistory Fit(nn.Module<Tensor, Tensor> model, BatchLoader trainLoader, BatchLoader? testLoader,
        TrainingOptions options, optim.Optimizer optimizer, LrScheduler? scheduler = null) =>
        new Trainer(model, optimizer, options, scheduler).Fit(trainLoader, testLoader);

    /// <summary>The blog's running-loss line, <c>[%d, %5d] loss: %.3f</c>, e.g. <c>[1,  2000] loss: 2.161</c>.</summary>
    public static string FormatRunningLoss(int epoch, int miniBatch, double loss) =>
        FormattableString.Invariant($"[{epoch}, {miniBatch,5}] loss: {loss:F3}");

    /// <summary>
    /// Trains from where the trainer is (<see cref="State"/>: after <see cref="EpochsCompleted"/>, or where a stopped or
    /// failed run left off) up to Options.Epochs and returns <see cref="History"/>. Stops within one mini-batch when
    /// <paramref name="cancellation"/> or a registered <see cref="StopRequests"/> source fires, throwing
    /// <see cref="TrainingStoppedException"/>; any other exception propagates too. Either way the trainer is back on its last
    /// committed optimizer step, and calling Fit again continues from there.
    /// </summary>
    public TrainingHistory Fit(BatchLoader trainLoader, BatchLoader? testLoader = null, CancellationToken cancellation = default)
    {
        using var claim = ModelRuns.Enter(Model, $"Trainer.Fit of this {Model.GetType().Name}");
        CheckRun(trainLoader, testLoader);
        if (!_live.InEpoch && _live.EpochsCompleted >= Options.Epochs)
        {
            (Options.Progress ?? TrainingDefaults.ProgressReporter($"Training {Model.GetType().Name}")).OnMessage(
                $"Already trained {EpochsCompleted} of {Options.Epochs} epochs; nothing to do. To train more, raise the epochs " +
                $"(trainer.Options = trainer.Options with {{ Epochs = {Options.Epochs + 1} }}) and run Fit again; to start over, " +
                "make a new model, optimizer and Trainer (run their cell again).");
            return History;
        }
        using var stop = StopRequests.ForRun(cancellation);
        StopToken = stop.Token;
        (TrainLoader, TestLoader) = (trainLoader, testLoader);
        Reporter = Options.Progress ?? TrainingDefaults.ProgressReporter($"Training {Model.GetType().Name}");
        _criterion = Options.Criterion ?? Losses.CrossEntropy(Options.LabelSmoothing);
        _precision = new MixedPrecision(Options.Precision, trainLoader.Device);
        _reader.ReadEach = ReadEachLoss ?? trainLoader.Device.type == DeviceType.CPU;
        _outputsChecked = false;
        var callbacks = _builtIn.Concat(Options.Callbacks).ToArray();
        using var switches = ProcessSwitches.For(Model, trainLoader, Options, note =>
        {
            _notes.Add(note);
            if (Options.ShowProcessNotes) Reporter.OnMessage(note);
        });
        using var modes = ModuleModes.Keep(Model);
        Model.train();
        try
        {
            TakeBuffers();
            Commit();   // the point a failure before the first step returns to (the same state, with the snapshots taken now)
            Raise(callbacks, c => c.BeforeFit(this));
            while (_live.EpochsCompleted < Options.Epochs)
            {
                Epoch = _live.NextEpoch;
                if (_plan is null) BeginEpoch(trainLoader);   // an epoch that began keeps its order, however its Fit ended
                MiniBatch = _live.MiniBatchesDone;
                _secondsBefore = _live.Totals.Seconds;
                _clock.Restart();
                Raise(callbacks, c => c.BeforeEpoch(this));
                if (!_live.EpochTrained)
                {
                    foreach (var batch in trainLoader.Epoch(_plan!, MiniBatch))
                    {
                        StopToken.ThrowIfCancellationRequested();
                        OneBatch(batch, callbacks);
                    }
                    FinishTraining();
                }
                EndEpoch(callbacks);
            }
            StoppedAt = null;
            Raise(callbacks, c => c.AfterFit(this));
            Reporter.OnMessage("Finished Training");
            return History;
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            Rollback();
            StoppedAt = new StopPosition(State.NextEpoch, State.EpochTrained ? trainLoader.Count : State.MiniBatchesDone, State.GlobalStep);
            Raise(callbacks, c => c.AfterStop(this));
            throw new TrainingStoppedException(StoppedAt, Options.Epochs);
        }
        catch (Exception e)
        {
            Rollback();
            Reporter.OnMessage(FormattableString.Invariant(
                $"Fit ended by {e.GetType().Name}; the trainer is back after optimizer step {State.GlobalStep:N0} (epoch {State.NextEpoch}, ") +
                (State.EpochTrained ? "its end-of-epoch work to redo" : FormattableString.Invariant($"mini-batch {State.MiniBatchesDone:N0}")) +
                "): fix the cause and call Fit again to continue from there.");
            throw;
        }
        finally
        {
            _clock.Stop();
            (Batch, Logits, Loss) = (null, null, null);
        }
    }

    // The five moves of the blog's loop; the optimizer steps every AccumulationSteps mini-batches, and each step commits.
    void OneBatch(Batch batch, TrainingCallback[] callbacks)
    {
        MiniBatch++;
        string? line = null;
        bool stepped = false;
        using (var scope = NewDisposeScope())
        {
            try
            {
                Batch = batch;
                Logits = _precision.Forward(Model, batch.Images);
                CheckOutputs(Logits, batch);
                Loss = _criterion(Logits, batch.Labels);
                foreach (var c in callbacks) c.AfterLoss(this);
                _reader.Add(Loss, Logits, batch.Labels);
                _precision.Backward(Loss, Options.AccumulationSteps);
                // The step must run in the scope that ran backward: stepping after that scope closed read garbage gradients (TorchSharp 0.107).
                if (++_pending == Options.AccumulationSteps) stepped = Step();
            }
            catch (Exception e) when (TorchOperationException.IsTorchFailure(e))
            {
                throw new TorchOperationException($"Training {Model.GetType().Name} failed at epoch {Epoch}, mini-batch {MiniBatch}", e,
                    ModelInputs.Explain(Model, batch.Images.shape, e.Message));
            }
        }
        if (Options.PrintEvery > 0 && MiniBatch % Options.PrintEvery == 0) line = RunningLossLine();
        _live = _live with { MiniBatchesDone = MiniBatch };
        if (_pending == 0) Commit();
        if (line is not null) Reporter.OnMessage(line);
        if (stepped) foreach (var c in callbacks) c.AfterStep(this);
        foreach (var c in callbacks) c.AfterBatch(this);
        (Batch, Logits, Loss) = (null, null, null);
    }

    // The blog's running loss: the sum over the window divided by the print interval.
    string RunningLossLine()
    {
        _reader.Flush();
        var t = _live.Totals;
        var line = FormatRunningLoss(Epoch, MiniBatch, t.WindowSum / Options.PrintEvery);
        _live = _live with { Totals = t with { WindowSum = 0, WindowLosses = 0, LastWindowMean = t.WindowLosses > 0 ? t.WindowSum / t.WindowLosses : t.LastWindowMean } };
        return line;
    }

    bool Step()
    {
        bool stepped = _precision.Step(Optimizer);
        if (stepped)
        {
            _live = _live with { GlobalStep = _live.GlobalStep + 1 };
            _reader.StepTaken(_live.GlobalStep, Optimizer.CurrentLearningRate());
            if (Scheduler?.Unit == ScheduleUnit.Batch) Scheduler.Advance();
        }
        Optimizer.DropGradients();
        _pending = 0;
        return stepped;
    }

    void BeginEpoch(BatchLoader loader)
    {
        _plan?.Dispose();
        _plan = loader.NewEpochPlan(_live.EpochsCompleted);
        _planLoader = loader;
        _live = _live with { MiniBatchesDone = 0, EpochTrained = false, Totals = default };
        Commit();
    }

    // The epoch's mini-batches are done: a last step for a partial accumulation, the epoch's schedule step; committed as one.
    void FinishTraining()
    {
        if (_pending > 0)
            using (NewDisposeScope())
                Step();
        if (Scheduler?.Unit == ScheduleUnit.Epoch) Scheduler.Advance();
        _live = _live with { EpochTrained = true };
        Commit();
    }

    // Evaluation, the epoch's record, the checkpoint and the callbacks, committed together: if any fails, all of it runs again.
    void EndEpoch(TrainingCallback[] callbacks)
    {
        _reader.Flush();
        var totals = Totals;
        LastEvaluation = TestLoader is { } test && Options.EvaluateEachEpoch
            ? Evaluation.Evaluate(Model, test, Options.TestTimeFlip, Options.Precision, StopToken)
            : null;
        History.EpochRecords.Add(new EpochRecord(Epoch, totals.LossSum / Math.Max(1, totals.Losses), LastEvaluation?.Loss, LastEvaluation?.Accuracy,
            Optimizer.CurrentLearningRate(), totals.Seconds, totals.Seen > 0 ? totals.Correct / (double)totals.Seen : null, Options.EvaluatedOn));
        // The epoch counts as done before the callbacks, so a checkpoint written there records it.
        _live = _live with { EpochsCompleted = Epoch, MiniBatchesDone = 0, EpochTrained = false, Totals = default };
        Raise(callbacks, c => c.AfterEpoch(this));
        _clock.Reset();
        _secondsBefore = 0;
        Commit();
        _plan?.Dispose();
        (_plan, _planLoader) = (null, null);
    }

    /// <summary>Adds a read mini-batch to the epoch's totals (and to the committed ones when its step is already committed).</summary>
    internal void AddToTotals(long step, double loss, long correct, long seen)
    {
        static EpochTotals Add(EpochTotals t, double loss, long correct, long seen) => t with
        {
            LossSum = t.LossSum + loss, Losses = t.Losses + 1, WindowSum = t.WindowSum + loss, WindowLosses = t.WindowLosses + 1,
            Correct = t.Correct + correct, Seen = t.Seen + seen,
        };
        _live = _live with { Totals = Add(_live.Totals, loss, correct, seen) };
        if (step <= State.GlobalStep) State = State with { Totals = Add(State.Totals, loss, correct, seen) };
    }

    /// <summary>Appends a step's record (and counts it as committed when its step already is).</summary>
    internal void AddStepRecord(StepRecord record)
    {
        History.StepRecords.Add(record);
        if (record.Step <= State.GlobalStep) State = State with { StepRecords = State.StepRecords + 1 };
    }

    /// <summary>Reads the losses still on the device, so <see cref="Totals"/> is up to date (one synchronization on a GPU).</summary>
    internal void FlushLosses() => _reader.Flush();

    void Commit()
    {
        _live = _live with
        {
            StepRecords = History.StepRecords.Count,
            EpochRecords = History.EpochRecords.Count,
            Totals = _live.Totals with { Seconds = EpochSeconds },
        };
        State = _live;
        _rngAtCommit?.Dispose();
        _rngAtCommit = get_rng_state().DetachFromDisposeScope();
        using var noGrad = no_grad();
        foreach (var (live, saved) in _buffersAtCommit) saved.copy_(live);
    }

    // The model's buffers and a copy of each, taken once per Fit (and on a restore), so a commit only copies: walking the
    // module tree at every optimizer step would cost the hot loop for nothing.
    void TakeBuffers()
    {
        foreach (var (_, saved) in _buffersAtCommit) saved.Dispose();
        using var noGrad = no_grad();
        _buffersAtCommit = Model.buffers().Select(b => (b, b.detach().clone().DetachFromDisposeScope())).ToList();
    }

    // Back to the last commit: counters and totals, the history's lengths, no half-accumulated gradients, the batch-norm
    // statistics and torch's random state as they were.
    void Rollback()
    {
        _live = State;
        if (History.StepRecords.Count > State.StepRecords) History.StepRecords.RemoveRange(State.StepRecords, History.StepRecords.Count - State.StepRecords);
        if (History.EpochRecords.Count > State.EpochRecords) History.EpochRecords.RemoveRange(State.EpochRecords, History.EpochRecords.Count - State.EpochRecords);
        _reader.DropAfter(State.GlobalStep);
        Optimizer.DropGradients();
        _pending = 0;
        if (_rngAtCommit is not null) set_rng_state(_rngAtCommit);
        using (no_grad())
            foreach (var (live, saved) in _buffersAtCommit) live.copy_(saved);
        Epoch = State.NextEpoch;
        MiniBatch = State.MiniBatchesDone;
        _secondsBefore = State.Totals.Seconds;
        _clock.Reset();
    }

    /// <summary>Puts the trainer where a checkpoint says its run was: between two epochs, with that history.</summary>
    internal void RestoreFrom(int epochsCompleted, long globalStep, TrainingHistory history)
    {
        History = history;
        _reader.DropAfter(-1);
        _plan?.Dispose();
        (_plan, _planLoader) = (null, null);
        _live = TrainingState.New with { EpochsCompleted = epochsCompleted, GlobalStep = globalStep };
        _pending = 0;
        StoppedAt = null;
        TakeBuffers();
        Commit();
    }

    // The rare events; the per-mini-batch ones call the callbacks directly, without a delegate.
    static void Raise(TrainingCallback[] callbacks, Action<TrainingCallback> handler)
    {
        foreach (var c in callbacks) handler(c);
    }

    // Fewer outputs than the data has classes would fail inside the loss with libtorch's "Target 5 is out of bounds"; said here
    // before the first step instead, as Evaluate says it.
    void CheckOutputs(Tensor logits, Batch batch)
    {
        if (_outputsChecked) return;
        _outputsChecked = true;
        int classes = TrainLoader!.Classes.Count;
        if (logits.dim() != 2 || logits.shape[1] < classes)
            throw new ArgumentException(
                $"{Model.GetType().Name} gives outputs of shape [{string.Join(", ", logits.shape)}] for images [{string.Join(", ", batch.Images.shape)}], " +
                $"but the data has {classes} classes: the model needs [batch, {classes}] logits, one per class. Build it with {classes} outputs " +
                "(numClasses / outputShape), or train it on data with as many classes as it has outputs.");
    }

    void CheckRun(BatchLoader trainLoader, BatchLoader? testLoader)
    {
        Options.Validate();
        if (trainLoader.Count == 0)
            throw new ArgumentException("the training loader yields no mini-batches; give it at least one image.", nameof(trainLoader));
        if (_plan is not null && _planLoader is not null && !ReferenceEquals(trainLoader, _planLoader))
            throw new ArgumentException(
                $"this trainer is in epoch {_live.NextEpoch} (after mini-batch {_live.MiniBatchesDone}) of another training loader; " +
                "continue with the same loader, or create a new Trainer to start over.", nameof(trainLoader));
        if (testLoader is not null && testLoader.Classes.Count != trainLoader.Classes.Count)
            throw new ArgumentException(
                $"the test loader has {testLoader.Classes.Count} classes but the training loader has {trainLoader.Classes.Count}.", nameof(testLoader));
        if (testLoader?.Augmentation is not null && Options.EvaluateEachEpoch)
            throw new ArgumentException(Evaluation.AugmentingLoaderMessage, nameof(testLoader));
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

using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training.Callbacks;

/// <summary>
/// Reads each mini-batch's loss into the history (one <see cref="StepRecord"/> per optimizer step) and keeps the sums the
/// running-loss lines, the progress bar and the epoch record show. It is also the NaN guard.
/// </summary>
/// <remarks>
/// On the CPU each loss is read right away, as the blog's <c>loss.item()</c>: that costs no synchronization there and lets the
/// guard stop before a non-finite loss reaches the weights. On a GPU a read waits for the device, so losses stay on it and are
/// read in one go whenever someone needs them (a running-loss line, a progress update, the end of the epoch); a non-finite
/// loss is then caught at that point, and the error says how many steps have been applied since.
/// </remarks>
internal sealed class LossRecorder : TrainingCallback
{
    readonly record struct Pending(Tensor Loss, int Epoch, int MiniBatch, long NextStep);
    readonly record struct StepMark(long Step, int Epoch, double LearningRate, int MiniBatches);

    readonly List<Pending> _unread = new();
    readonly Queue<double> _readUnassigned = new();   // values read, not yet assigned to an optimizer step
    readonly Queue<StepMark> _steps = new();          // steps taken whose losses are not all read yet
    int _miniBatchesInStep;
    double? _lastFinite;

    /// <summary>Whether each loss is read as soon as it is computed (the CPU); tests can force the GPU's deferred reads.</summary>
    internal bool? ReadEachLoss { get; set; }
    bool _readEach;

    /// <summary>Sum and count of the losses read in the current epoch.</summary>
    public double EpochSum { get; private set; }
    public int EpochCount { get; private set; }

    /// <summary>Sum and count of the losses read since <see cref="ResetWindow"/> (the running-loss line's window).</summary>
    public double WindowSum { get; private set; }
    public int WindowCount { get; private set; }

    /// <summary>The mean of the last full running-loss window, shown by the progress bar between two lines.</summary>
    public double? LastWindowMean { get; private set; }

    public void ResetWindow()
    {
        if (WindowCount > 0) LastWindowMean = WindowSum / WindowCount;
        WindowSum = 0;
        WindowCount = 0;
    }

    public override void BeforeFit(Trainer t) => _readEach = ReadEachLoss ?? t.TrainLoader!.Device.type == DeviceType.CPU;

    public override void BeforeEpoch(Trainer t)
    {
        if (t.MiniBatch > 0) return; // continuing a stopped epoch keeps its sums
        EpochSum = 0;
        EpochCount = 0;
        WindowSum = 0;
        WindowCount = 0;
    }

    public override void AfterLoss(Trainer t)
    {
        var at = new Pending(t.Loss!, t.Epoch, t.MiniBatch, t.GlobalStep + 1);
        _miniBatchesInStep++;
        if (_readEach) Take(at, t.Loss!.item<float>(), t);
        else _unread.Add(at with { Loss = t.Loss!.detach().DetachFromDisposeScope() });
    }

    public override void AfterStep(Trainer t)
    {
        _steps.Enqueue(new StepMark(t.GlobalStep, t.Epoch, t.Optimizer.CurrentLearningRate(), _miniBatchesInStep));
        _miniBatchesInStep = 0;
        if (_readEach) RecordSteps(t);
    }

    public override void AfterEpoch(Trainer t) => Flush(t);
    public override void AfterStop(Trainer t) => Flush(t);

    /// <summary>Reads every loss still on the device (one synchronization) and records the steps they complete.</summary>
    public void Flush(Trainer t)
    {
        if (_unread.Count > 0)
        {
            using var scope = NewDisposeScope();
            var values = stack(_unread.Select(p => p.Loss).ToArray()).to(ScalarType.Float64).cpu().data<double>().ToArray();
            var pending = _unread.ToArray();
            foreach (var p in pending) p.Loss.Dispose();
            _unread.Clear();
            for (int i = 0; i < pending.Length; i++) Take(pending[i], values[i], t);
        }
        RecordSteps(t);
    }

    void Take(Pending at, double value, Trainer t)
    {
        if (!double.IsFinite(value))
        {
            _unread.ForEach(p => p.Loss.Dispose());
            _unread.Clear();
            t.Optimizer.zero_grad();
            throw new TrainingDivergedException(at.Epoch, at.MiniBatch, at.NextStep, value, _lastFinite, t.Optimizer.CurrentLearningRate(),
                stepsApplied: _readEach ? 0 : t.GlobalStep - at.NextStep + 1);
        }
        _lastFinite = value;
        _readUnassigned.Enqueue(value);
        EpochSum += value;
        EpochCount++;
        WindowSum += value;
        WindowCount++;
    }

    void RecordSteps(Trainer t)
    {
        while (_steps.TryPeek(out var step) && _readUnassigned.Count >= step.MiniBatches)
        {
            _steps.Dequeue();
            double sum = 0;
            for (int i = 0; i < step.MiniBatches; i++) sum += _readUnassigned.Dequeue();
            t.History.StepRecords.Add(new StepRecord(step.Step, step.Epoch, sum / Math.Max(1, step.MiniBatches), step.LearningRate));
        }
    }
}

using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>When a scheduler advances: after every optimizer step or after every epoch.</summary>
public enum ScheduleUnit { Batch, Epoch }

/// <summary>
/// Sets an optimizer's learning rate from an <see cref="LrSchedule"/>; its whole state is <see cref="Step"/>, so checkpoints stay
/// trivial. The schedule gives the first parameter group's rate; other groups keep the ratio to it they were created with (as
/// PyTorch's schedulers scale each group's base rate), e.g. batch-norm biases that learn 64 times faster.
/// </summary>
public sealed class LrScheduler
{
    /// <summary>The optimizer whose parameter groups receive the learning rate.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>The learning-rate function.</summary>
    public LrSchedule Schedule { get; }

    /// <summary>Whether <see cref="Trainer"/> advances this scheduler per optimizer step or per epoch.</summary>
    public ScheduleUnit Unit { get; }

    /// <summary>Scheduler steps taken so far; the optimizer now uses Schedule[Step].</summary>
    public long Step { get; private set; }

    /// <summary>The learning rate of the first parameter group now.</summary>
    public double LearningRate => Schedule[Step];

    readonly double[] _ratios;

    /// <summary>Applies Schedule[0] to the optimizer right away.</summary>
    public LrScheduler(optim.Optimizer optimizer, LrSchedule schedule, ScheduleUnit unit = ScheduleUnit.Batch)
    {
        if (!Enum.IsDefined(unit)) throw new ArgumentOutOfRangeException(nameof(unit), unit, "unit must be Batch or Epoch.");
        Optimizer = optimizer;
        Schedule = schedule;
        Unit = unit;
        var rates = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
        _ratios = rates.Select(r => rates[0] > 0 ? r / rates[0] : 1).ToArray();
        Apply();
    }

    /// <summary>Moves to the next step and applies its learning rate.</summary>
    public void Advance()
    {
        Step++;
        Apply();
    }

    /// <summary>Jumps to <paramref name="step"/> (used when resuming) and applies its learning rate.</summary>
    public void SetStep(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "a scheduler step cannot be negative.");
        Step = step;
        Apply();
    }

    void Apply()
    {
        var lr = LearningRate;
        // 0 is allowed: a cosine schedule ends there.
        if (!(lr >= 0) || !double.IsFinite(lr))
            throw new ArgumentOutOfRangeException(nameof(Schedule), lr,
                $"the schedule '{Schedule.Name}' gives learning rate {lr} at step {Step}; a learning rate must be a finite number of at least 0.");
        foreach (var (group, ratio) in Optimizer.ParamGroups.Zip(_ratios)) group.LearningRate = lr * ratio;
    }
}

using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>When a scheduler advances: after every optimizer step or after every epoch.</summary>
public enum ScheduleUnit { Batch, Epoch }

/// <summary>Sets an optimizer's learning rate from an <see cref="LrSchedule"/>; its whole state is <see cref="Step"/>, so checkpoints stay trivial.</summary>
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

    /// <summary>The learning rate in use now.</summary>
    public double LearningRate => Schedule[Step];

    /// <summary>Applies Schedule[0] to the optimizer right away.</summary>
    public LrScheduler(optim.Optimizer optimizer, LrSchedule schedule, ScheduleUnit unit = ScheduleUnit.Batch)
    {
        Optimizer = optimizer;
        Schedule = schedule;
        Unit = unit;
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
        Step = step;
        Apply();
    }

    void Apply()
    {
        var lr = LearningRate;
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr;
    }
}

namespace ClassifierKit.Training;

/// <summary>
/// A hook into <see cref="Trainer.Fit(Data.BatchLoader, Data.BatchLoader?, CancellationToken)"/> at named points of the loop, as fastai's callbacks. The trainer
/// itself keeps what its committed state depends on (the losses and accuracy it reads, the history, the running-loss lines,
/// the end-of-epoch evaluation, the NaN guard); the progress bar, the checkpoint and your own hooks are callbacks. Override
/// what you need and read the run's state from the trainer (<see cref="Trainer.Epoch"/>, <see cref="Trainer.MiniBatch"/>,
/// <see cref="Trainer.Loss"/>, <see cref="Trainer.State"/>, ...). A callback that throws ends the Fit like any failure: the
/// trainer goes back to its last committed step (a callback's own fields are its to keep right).
/// </summary>
public abstract class TrainingCallback
{
    /// <summary>A run starts (or continues after a stop).</summary>
    public virtual void BeforeFit(Trainer trainer) { }
    /// <summary>An epoch starts (or continues after a stop).</summary>
    public virtual void BeforeEpoch(Trainer trainer) { }
    /// <summary>The loss of the mini-batch is computed (<see cref="Trainer.Loss"/>); backward has not run yet.</summary>
    public virtual void AfterLoss(Trainer trainer) { }
    /// <summary>The optimizer took step <see cref="Trainer.GlobalStep"/> (after every <see cref="TrainingOptions.AccumulationSteps"/> mini-batches).</summary>
    public virtual void AfterStep(Trainer trainer) { }
    /// <summary>The mini-batch is done.</summary>
    public virtual void AfterBatch(Trainer trainer) { }
    /// <summary>The epoch's mini-batches are done (evaluation and the epoch record happen here, in callback order).</summary>
    public virtual void AfterEpoch(Trainer trainer) { }
    /// <summary>The run finished all its epochs.</summary>
    public virtual void AfterFit(Trainer trainer) { }
    /// <summary>The run was stopped (Stop button, Ctrl+C, a cancelled token) at <see cref="Trainer.StoppedAt"/>.</summary>
    public virtual void AfterStop(Trainer trainer) { }
}

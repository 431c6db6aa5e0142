namespace ClassifierKit.Training;

/// <summary>The running totals of the epoch in progress: what its record, its running-loss lines and the progress bar show.</summary>
/// <param name="LossSum">Sum of the mini-batch losses read so far.</param>
/// <param name="Losses">How many were read.</param>
/// <param name="WindowSum">Sum of the losses since the last running-loss line.</param>
/// <param name="WindowLosses">How many.</param>
/// <param name="LastWindowMean">The mean of the last full running-loss window (the progress bar shows it between two lines).</param>
/// <param name="Correct">Training mini-batch images predicted right so far (as the model was while training on them).</param>
/// <param name="Seen">Training images seen so far.</param>
/// <param name="Seconds">Wall seconds spent training this epoch (time while stopped does not count).</param>
public readonly record struct EpochTotals(double LossSum, int Losses, double WindowSum, int WindowLosses, double? LastWindowMean,
    long Correct, long Seen, double Seconds);

/// <summary>
/// Where a training run stands after its last completed optimizer step: the one state that <see cref="Trainer.Fit(Data.BatchLoader, Data.BatchLoader?, CancellationToken)"/> commits.
/// Fit works on a copy and commits it after every optimizer step and at the start and end of each epoch. Whatever ends a Fit
/// early (Stop, an exception in the forward or backward pass or in a callback, the end-of-epoch evaluation, a checkpoint
/// write, the NaN guard) puts the trainer back on its last commit: these counters, the history cut to these lengths, no
/// half-accumulated gradients, batch-norm statistics and torch's random state as they were, the weights, optimizer and
/// schedule as that step left them. The next Fit continues from here, and on the CPU ends bit for bit where a run that
/// never failed ends.
/// </summary>
/// <param name="EpochsCompleted">Epochs whose training and end-of-epoch work (evaluation, record, checkpoint) are done.</param>
/// <param name="MiniBatchesDone">Mini-batches of the next epoch (<see cref="EpochsCompleted"/> + 1) trained and committed.</param>
/// <param name="GlobalStep">Optimizer steps taken.</param>
/// <param name="EpochTrained">Every mini-batch of the next epoch is trained; its end-of-epoch work is still to do.</param>
/// <param name="StepRecords">Length of <see cref="TrainingHistory.StepRecords"/> at the commit.</param>
/// <param name="EpochRecords">Length of <see cref="TrainingHistory.EpochRecords"/> at the commit.</param>
/// <param name="Totals">The next epoch's totals so far.</param>
public sealed record TrainingState(int EpochsCompleted, int MiniBatchesDone, long GlobalStep, bool EpochTrained,
    int StepRecords, int EpochRecords, EpochTotals Totals)
{
    /// <summary>A run that has not trained yet.</summary>
    public static TrainingState New { get; } = new(0, 0, 0, false, 0, 0, default);

    /// <summary>The epoch the next Fit trains (or finishes).</summary>
    public int NextEpoch => EpochsCompleted + 1;

    /// <summary>Whether the next epoch has begun: some of its mini-batches, or all of them, are committed.</summary>
    public bool InEpoch => MiniBatchesDone > 0 || EpochTrained;
}

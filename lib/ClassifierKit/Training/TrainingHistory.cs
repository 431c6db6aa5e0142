namespace ClassifierKit.Training;

/// <summary>One optimizer step: global 1-based step, epoch, training loss (mean over accumulated mini-batches), learning rate used.</summary>
public sealed record StepRecord(long Step, int Epoch, double Loss, double LearningRate);

/// <summary>
/// One epoch: mean training loss and accuracy over its mini-batches (as the model was while training on them, augmented),
/// test loss and accuracy (null without a test loader; <c>EvaluatedOn</c> says whether that loader held the test set or a
/// validation split), learning rate at the end, wall seconds.
/// </summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double? TestLoss, double? TestAccuracy, double LearningRate, double Seconds,
    double? TrainAccuracy = null, EvaluationSet EvaluatedOn = EvaluationSet.Test);

/// <summary>Everything a chart needs from a run, as lists of records and ready-made arrays.</summary>
public sealed class TrainingHistory
{
    /// <summary>Per optimizer step, in order.</summary>
    public List<StepRecord> StepRecords { get; init; } = new();

    /// <summary>Per epoch, in order.</summary>
    public List<EpochRecord> EpochRecords { get; init; } = new();

    /// <summary>Global step numbers (x axis for the step charts).</summary>
    public long[] Steps => StepRecords.Select(r => r.Step).ToArray();

    /// <summary>Training loss per step.</summary>
    public double[] StepLosses => StepRecords.Select(r => r.Loss).ToArray();

    /// <summary>Learning rate per step.</summary>
    public double[] StepLearningRates => StepRecords.Select(r => r.LearningRate).ToArray();

    /// <summary>Epoch numbers (x axis for the epoch charts).</summary>
    public int[] Epochs => EpochRecords.Select(r => r.Epoch).ToArray();

    /// <summary>Mean training loss per epoch.</summary>
    public double[] TrainLosses => EpochRecords.Select(r => r.TrainLoss).ToArray();

    /// <summary>Training accuracy per epoch in [0, 1] (NaN where not recorded).</summary>
    public double[] TrainAccuracies => EpochRecords.Select(r => r.TrainAccuracy ?? double.NaN).ToArray();

    /// <summary>Test loss per epoch (NaN where not evaluated).</summary>
    public double[] TestLosses => EpochRecords.Select(r => r.TestLoss ?? double.NaN).ToArray();

    /// <summary>Test accuracy per epoch in [0, 1] (NaN where not evaluated).</summary>
    public double[] TestAccuracies => EpochRecords.Select(r => r.TestAccuracy ?? double.NaN).ToArray();

    /// <summary>Mean training loss over consecutive windows of <paramref name="window"/> steps (the blog's running-loss numbers when
    /// the window is its print interval), with the step that ends each window; a last partial window is left out.</summary>
    public (double[] Steps, double[] Losses) WindowedLosses(int window)
    {
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "window must be at least 1 step.");
        var chunks = StepRecords.Chunk(window).Where(c => c.Length == window).ToArray();
        return (chunks.Select(c => (double)c[^1].Step).ToArray(), chunks.Select(c => c.Average(r => r.Loss)).ToArray());
    }
}

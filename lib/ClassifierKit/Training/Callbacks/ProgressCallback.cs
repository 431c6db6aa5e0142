namespace ClassifierKit.Training.Callbacks;

/// <summary>Feeds the run's <see cref="IProgressReporter"/>: a throttled bar inside each epoch and the epoch summary.</summary>
internal sealed class ProgressCallback : TrainingCallback
{
    TimeSpan? _last;

    public override void BeforeEpoch(Trainer t) => _last = null;

    public override void AfterBatch(Trainer t)
    {
        var elapsed = TimeSpan.FromSeconds(t.EpochSeconds);
        int total = t.TrainLoader!.Count;
        if (t.MiniBatch != total && _last is { } last && elapsed - last < t.Options.ProgressInterval) return;
        _last = elapsed;
        t.FlushLosses();
        var totals = t.Totals;
        double rate = t.MiniBatch / Math.Max(elapsed.TotalSeconds, 1e-9);
        double? loss = totals.WindowLosses > 0 ? totals.WindowSum / totals.WindowLosses : totals.LastWindowMean;
        t.Reporter.OnProgress(new TrainingProgress(t.Epoch, t.Options.Epochs, t.MiniBatch, total, t.GlobalStep, elapsed, rate,
            TimeSpan.FromSeconds((total - t.MiniBatch) / rate), loss, t.Optimizer.CurrentLearningRate()));
    }

    public override void AfterEpoch(Trainer t) => t.Reporter.OnEpochEnd(t.History.EpochRecords[^1]);
}

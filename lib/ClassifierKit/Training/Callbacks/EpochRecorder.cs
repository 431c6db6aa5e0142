namespace ClassifierKit.Training.Callbacks;

/// <summary>At the end of each epoch: evaluates on the test loader (when asked) and appends the <see cref="EpochRecord"/>.</summary>
internal sealed class EpochRecorder(LossRecorder losses, TrainAccuracy trainAccuracy, EpochClock clock) : TrainingCallback
{
    public override void AfterEpoch(Trainer t)
    {
        losses.Flush(t);
        t.LastEvaluation = t.TestLoader is { } test && t.Options.EvaluateEachEpoch
            ? Evaluation.Evaluate(t.Model, test, t.Options.TestTimeFlip, t.Options.Precision, t.StopToken)
            : null;
        var eval = t.LastEvaluation;
        t.History.EpochRecords.Add(new EpochRecord(t.Epoch, losses.EpochSum / Math.Max(1, losses.EpochCount), eval?.Loss, eval?.Accuracy,
            t.Optimizer.CurrentLearningRate(), clock.Elapsed.TotalSeconds, trainAccuracy.Read()));
    }
}

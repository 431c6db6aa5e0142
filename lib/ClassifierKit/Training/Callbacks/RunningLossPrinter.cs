namespace ClassifierKit.Training.Callbacks;

/// <summary>The blog's <c>[1,  2000] loss: 2.161</c> line every <see cref="TrainingOptions.PrintEvery"/> mini-batches, and its <c>Finished Training</c>.</summary>
internal sealed class RunningLossPrinter(LossRecorder losses) : TrainingCallback
{
    public override void AfterBatch(Trainer t)
    {
        int every = t.Options.PrintEvery;
        if (every == 0 || t.MiniBatch % every != 0) return;
        losses.Flush(t);
        // As the blog: the sum over the window divided by the print interval.
        t.Reporter.OnMessage(Trainer.FormatRunningLoss(t.Epoch, t.MiniBatch, losses.WindowSum / every));
        losses.ResetWindow();
    }

    public override void AfterFit(Trainer t) => t.Reporter.OnMessage("Finished Training");
}

using System.Diagnostics;

namespace ClassifierKit.Training.Callbacks;

/// <summary>Wall time spent in the current epoch; it pauses while a stopped run waits to be continued.</summary>
internal sealed class EpochClock : TrainingCallback
{
    readonly Stopwatch _watch = new();

    public TimeSpan Elapsed => _watch.Elapsed;

    public override void BeforeEpoch(Trainer t)
    {
        if (t.MiniBatch == 0) _watch.Reset();
        _watch.Start();
    }

    public override void AfterStop(Trainer t) => _watch.Stop();
    public override void AfterFit(Trainer t) => _watch.Stop();
}

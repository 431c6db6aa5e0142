using ClassifierKit.Data;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>Runs one row: warm-up steps (untimed), then the timed repeats, then reads the process's memory (Trainer.Fit rows: <see cref="FitRunner"/>).</summary>
public static class CaseRunner
{
    public static RowResult Run(BenchmarkCase c, ImageDataset data, Device device, BenchmarkOptions o, Action<string> report)
    {
        int steps = o.Steps ?? (o.Quick ? Math.Min(2, c.StepsPerRepeat) : c.StepsPerRepeat);
        int warmup = o.Warmup ?? (o.Quick ? 1 : c.WarmupSteps);
        if (c.Phase == Phase.Fit) return FitRunner.Run(c, data, device, o, steps, warmup);
        var timer = new PhaseTimer(device);
        var repeats = new List<RepeatResult>();
        using (var work = new Workload(c, data, device, seed: 1, report))
        {
            timer.Restart();
            for (int i = 0; i < warmup; i++) work.Step(timer);
            for (int r = 0; r < o.Repeats; r++)
            {
                long images = 0;
                timer.Restart();
                for (int i = 0; i < steps; i++) images += work.Step(timer);
                var seconds = timer.ElapsedSeconds;
                repeats.Add(new RepeatResult(steps, images, seconds, timer.Milliseconds(StepPart.Data), timer.Milliseconds(StepPart.Forward),
                    timer.Milliseconds(StepPart.Backward), timer.Milliseconds(StepPart.Optimizer)));
            }
        }
        return new RowResult(c, repeats, warmup, ProcessMemory.PeakResidentBytes(), ProcessMemory.ResidentBytes());
    }
}

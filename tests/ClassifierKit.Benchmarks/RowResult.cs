namespace ClassifierKit.Benchmarks;

/// <summary>One timed repeat: images and wall time, and the milliseconds charged to each part, all summed over its steps.</summary>
public sealed record RepeatResult(int Steps, long Images, double Seconds, double DataMs, double ForwardMs, double BackwardMs, double OptimizerMs)
{
    public double ImagesPerSecond => Images / Seconds;
    /// <summary>Wall milliseconds per step (includes the scope disposal the parts leave out).</summary>
    public double StepMs => Seconds * 1000 / Steps;
    /// <summary>Sum of the four parts per step.</summary>
    public double PartsMs => (DataMs + ForwardMs + BackwardMs + OptimizerMs) / Steps;
}

/// <summary>A row's repeats with their summaries: medians across repeats, and the memory readings taken after the row.</summary>
public sealed record RowResult(BenchmarkCase Case, IReadOnlyList<RepeatResult> Repeats, int WarmupSteps, long PeakResidentBytes, long ResidentBytes)
{
    /// <summary>FLOP per image of the row's model (forward, times 3 for training; see <see cref="ModelFlops"/>); 0 when not counted.</summary>
    public double FlopPerImage { get; init; }
    /// <summary>Arithmetic rate: FLOP per image times the median images/s, in GFLOP/s.</summary>
    public double Gflops => FlopPerImage * MedianImagesPerSecond / 1e9;
    /// <summary>Whether the phase columns (data, fwd, bwd, opt) were measured: not for Trainer.Fit rows, which time whole steps.</summary>
    public bool HasParts => Case.Phase != Phase.Fit;

    public double MedianImagesPerSecond => Median(Repeats.Select(r => r.ImagesPerSecond));
    public double MinImagesPerSecond => Repeats.Min(r => r.ImagesPerSecond);
    public double MaxImagesPerSecond => Repeats.Max(r => r.ImagesPerSecond);
    public double StepMs => Median(Repeats.Select(r => r.StepMs));
    public double DataMs => Median(Repeats.Select(r => r.DataMs / r.Steps));
    public double ForwardMs => Median(Repeats.Select(r => r.ForwardMs / r.Steps));
    public double BackwardMs => Median(Repeats.Select(r => r.BackwardMs / r.Steps));
    public double OptimizerMs => Median(Repeats.Select(r => r.OptimizerMs / r.Steps));
    /// <summary>Data time as a share of the step's wall time (median over repeats), in percent.</summary>
    public double DataPercent => Median(Repeats.Select(r => 100 * r.DataMs / (r.Seconds * 1000)));

    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}

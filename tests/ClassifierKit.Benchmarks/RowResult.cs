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

/// <summary>A row that threw instead of finishing: the others still run, and the run reports it instead of a number.</summary>
public sealed record RowFailure(BenchmarkCase Case, Exception Error)
{
    /// <summary>E.g. "net128bf16 (Net @128 Trainer.Fit bf16) FAILED: InvalidOperationException: ... at LowPrecisionWeights.Set (Precision.cs:line 153)".</summary>
    public string Line
    {
        get
        {
            // Where it was thrown: the first frame with a source line.
            var frame = Error.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("at ", StringComparison.Ordinal) && l.Contains(" in ", StringComparison.Ordinal));
            var at = "";
            if (frame is not null)
            {
                var method = frame[3..frame.IndexOf('(')].Split('.');
                at = $" at {string.Join(".", method.TakeLast(2))} ({frame[(frame.LastIndexOf('/') + 1)..]})";
            }
            return $"{Case.Id} ({Case.Model} @{Case.BatchSize} {Case.PhaseName}) FAILED: {Error.GetType().Name}: {Error.Message.Split('\n')[0]}{at}";
        }
    }
}

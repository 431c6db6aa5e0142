using System.Globalization;
using ClassifierKit.Training;

namespace ClassifierKit.Benchmarks;

/// <summary>The lines printed under the table: the issues' targets (with a verdict) and the measurements they ask to report.</summary>
public static class Targets
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One line per target or measurement whose rows ran.</summary>
    public static IEnumerable<string> Lines(IReadOnlyList<RowResult> rows, IReadOnlyDictionary<string, PeakReference> peaks, MemoryResult? memory)
    {
        RowResult? Row(string id) => rows.FirstOrDefault(r => r.Case.Id == id);
        string X(double v) => v.ToString("F2", Inv) + "x";

        if (Row("net4") is { } full && Row("net4pure") is { } pure)
        {
            var ratio = pure.MedianImagesPerSecond / full.MedianImagesPerSecond;
            yield return $"Net @4 full step / pure model step: {ratio.ToString("F3", Inv)}x (target <= 1.10x) {Verdict(ratio <= 1.10)}";
        }
        if (Row("net4fit") is { } fit)
        {
            var line = $"Net @4 inside Trainer.Fit: {Report.Rate(fit.MedianImagesPerSecond)} images/s, {Report.Ms(fit.StepMs)} ms/step";
            if (Row("net4") is { } bare)
                line += $"; the bare step (net4) takes {Report.Ms(bare.StepMs)} ms, so Trainer.Fit adds {Report.Ms(fit.StepMs - bare.StepMs)} ms " +
                        $"({Report.Percent((fit.StepMs - bare.StepMs) / bare.StepMs)}) per step";
            yield return line;
        }
        if (Row("resnet128") is { } res)
            yield return $"ResNet18 @128 data time: {res.DataPercent.ToString("F2", Inv)}% of the training step (target < 5%) {Verdict(res.DataPercent < 5)}";
        if (Row("resnet128fit") is { } f32 && Row("resnet128bf16") is { } bf16)
        {
            var speedup = bf16.MedianImagesPerSecond / f32.MedianImagesPerSecond;
            yield return $"ResNet18 @128 bfloat16 / float32 through Trainer.Fit: {X(speedup)} (target >= 1.70x) {Verdict(speedup >= 1.70)}";
        }
        if (Row("net128fit") is { } n32 && Row("net128bf16") is { } n16)
            yield return $"Net @128 bfloat16 / float32 through Trainer.Fit: {X(n16.MedianImagesPerSecond / n32.MedianImagesPerSecond)} (no target)";
        foreach (var r in rows.Where(r => r.Case.Model == "ResNet18" && r.Case.BatchSize == 128 && r.Case.Trains && r.FlopPerImage > 0))
        {
            var line = $"ResNet18 @128 {r.Case.PhaseName} ({r.Case.Id}): {(r.FlopPerImage / 1e9).ToString("F2", Inv)} GFLOP/image x " +
                       $"{Report.Rate(r.MedianImagesPerSecond)} images/s = {Report.Gflops(r.Gflops)} GFLOP/s";
            if (Report.PeakFor(r, peaks) is { } peak)
            {
                var share = r.Gflops / peak.Gflops;
                line += $" = {Report.Percent(share)} of the {peak.DType} GEMM peak ({Report.Gflops(peak.Gflops)} GFLOP/s, {peak.Source})";
                if (r.Case.Id == BfloatFitRow) line += $" (target >= {Report.Percent(BfloatFitShare)}) {Verdict(share >= BfloatFitShare)}";
            }
            yield return line;
        }
        if (memory is not null)
            yield return $"Net @4 resident memory: {ProcessMemory.Format(memory.EarlyBytes)} after {memory.EarlySteps:N0} steps, " +
                         $"{ProcessMemory.Format(memory.LateBytes)} after {memory.Steps:N0}: {memory.Ratio.ToString("F3", Inv)}x (target <= 1.05x) {Verdict(memory.Ratio <= 1.05)}";
    }

    /// <summary>The row with a target share of the peak: ResNet-18 @128 through Trainer.Fit in bfloat16, at 60 % or more.</summary>
    const string BfloatFitRow = "resnet128bf16";
    const double BfloatFitShare = 0.60;

    static string Verdict(bool ok) => ok ? "[met]" : "[NOT met]";
}

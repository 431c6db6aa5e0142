using System.Globalization;
using System.Text;

namespace ClassifierKit.Benchmarks;

/// <summary>Formats the results: a fixed-width table for stdout (columns separated by at least two spaces) and a markdown file.</summary>
public static class Report
{
    public static readonly string[] Headers =
        ["row", "model", "batch", "phase", "images/s (median, min-max)", "vs PyTorch", "step ms", "data ms", "fwd ms", "bwd ms", "opt ms", "data %", "peak RSS", "RSS"];

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The cells of one row, in <see cref="Headers"/> order.</summary>
    public static string[] Cells(RowResult r)
    {
        var c = r.Case;
        var spread = r.Repeats.Count > 1 ? $" ({Rate(r.MinImagesPerSecond)}-{Rate(r.MaxImagesPerSecond)})" : "";
        return
        [
            c.Id, c.Model, c.BatchSize.ToString(Inv), c.PhaseName, Rate(r.MedianImagesPerSecond) + spread,
            r.VsPyTorch is { } v ? v.ToString("F2", Inv) + "x" : "-",
            Ms(r.StepMs), Ms(r.DataMs), Ms(r.ForwardMs),
            c.Phase == Phase.Eval ? "-" : Ms(r.BackwardMs), c.Phase == Phase.Eval ? "-" : Ms(r.OptimizerMs),
            r.DataPercent.ToString("F1", Inv), ProcessMemory.Format(r.PeakResidentBytes), ProcessMemory.Format(r.ResidentBytes),
        ];
    }

    /// <summary>Images per second: thousands separators from 1,000, one decimal below 100.</summary>
    public static string Rate(double v) => v >= 100 ? v.ToString("N0", Inv) : v.ToString("F1", Inv);

    /// <summary>Milliseconds with about three significant digits.</summary>
    public static string Ms(double v) => v.ToString(v < 1 ? "F3" : v < 10 ? "F2" : v < 100 ? "F1" : "F0", Inv);

    /// <summary>The stdout table: a header line, a rule, one line per row.</summary>
    public static string Table(IReadOnlyList<RowResult> rows)
    {
        var cells = rows.Select(Cells).ToList();
        var widths = Headers.Select((h, i) => cells.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        // text columns left-aligned, numbers right-aligned
        bool Left(int i) => i <= 1 || i == 3;
        string Line(string[] r) => string.Join("  ", r.Select((s, i) => Left(i) ? s.PadRight(widths[i]) : s.PadLeft(widths[i]))).TrimEnd();
        var sb = new StringBuilder();
        sb.AppendLine(Line(Headers));
        sb.AppendLine(new string('-', widths.Sum() + 2 * (widths.Length - 1)));
        foreach (var r in cells) sb.AppendLine(Line(r));
        return sb.ToString();
    }

    /// <summary>The same table in markdown.</summary>
    public static string MarkdownTable(IReadOnlyList<RowResult> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", Headers) + " |");
        sb.AppendLine("|" + string.Join("|", Headers.Select((_, i) => i <= 1 || i == 3 ? "---" : "---:")) + "|");
        foreach (var r in rows) sb.AppendLine("| " + string.Join(" | ", Cells(r)) + " |");
        return sb.ToString();
    }

    /// <summary>The targets the issue sets, for the rows that ran: Net @4 full/pure, ResNet18 @128 data share, flat memory.</summary>
    public static IEnumerable<string> Targets(IReadOnlyList<RowResult> rows, MemoryResult? memory)
    {
        var full = rows.FirstOrDefault(r => r.Case.Id == "net4");
        var pure = rows.FirstOrDefault(r => r.Case.Id == "net4pure");
        if (full is not null && pure is not null)
        {
            var ratio = pure.MedianImagesPerSecond / full.MedianImagesPerSecond;
            yield return $"Net @4 full step / pure model step: {ratio.ToString("F3", Inv)}x (target <= 1.10x) {Verdict(ratio <= 1.10)}";
        }
        var res = rows.FirstOrDefault(r => r.Case.Id == "resnet128");
        if (res is not null)
            yield return $"ResNet18 @128 data time: {res.DataPercent.ToString("F2", Inv)}% of the training step (target < 5%) {Verdict(res.DataPercent < 5)}";
        if (memory is not null)
            yield return $"Net @4 resident memory: {ProcessMemory.Format(memory.EarlyBytes)} after {memory.EarlySteps:N0} steps, " +
                         $"{ProcessMemory.Format(memory.LateBytes)} after {memory.Steps:N0}: {memory.Ratio.ToString("F3", Inv)}x (target <= 1.05x) {Verdict(memory.Ratio <= 1.05)}";
    }

    static string Verdict(bool ok) => ok ? "[met]" : "[NOT met]";
}

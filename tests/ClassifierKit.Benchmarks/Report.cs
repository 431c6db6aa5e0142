using System.Globalization;
using System.Text;

namespace ClassifierKit.Benchmarks;

/// <summary>Formats the results: fixed-width tables for stdout (columns separated by at least two spaces) and markdown.</summary>
public static class Report
{
    public static readonly string[] Headers =
        ["row", "model", "batch", "phase", "images/s (median, min-max)", "step ms", "data ms", "fwd ms", "bwd ms", "opt ms", "data %",
         "GFLOP/s", "of peak", "peak RSS", "RSS"];

    public static readonly string[] GemmHeaders = ["row", "dtype", "n", "GFLOP/s (median, min-max)", "ms per product"];

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The cells of one row, in <see cref="Headers"/> order; <paramref name="peak"/> is the GEMM peak of the row's precision, if known.</summary>
    public static string[] Cells(RowResult r, PeakReference? peak)
    {
        var c = r.Case;
        var spread = r.Repeats.Count > 1 ? $" ({Rate(r.MinImagesPerSecond)}-{Rate(r.MaxImagesPerSecond)})" : "";
        string Part(double ms, bool measured) => measured ? Ms(ms) : "-";
        return
        [
            c.Id, c.Model, c.BatchSize.ToString(Inv), c.PhaseName, Rate(r.MedianImagesPerSecond) + spread,
            Ms(r.StepMs), Part(r.DataMs, r.HasParts), Part(r.ForwardMs, r.HasParts),
            Part(r.BackwardMs, r.HasParts && c.Trains), Part(r.OptimizerMs, r.HasParts && c.Trains),
            r.HasParts ? r.DataPercent.ToString("F1", Inv) : "-",
            r.FlopPerImage > 0 ? Gflops(r.Gflops) : "-",
            r.FlopPerImage > 0 && peak is not null ? Percent(r.Gflops / peak.Gflops) : "-",
            ProcessMemory.Format(r.PeakResidentBytes), ProcessMemory.Format(r.ResidentBytes),
        ];
    }

    /// <summary>The cells of one GEMM row, in <see cref="GemmHeaders"/> order.</summary>
    public static string[] GemmCells(GemmResult g)
    {
        var spread = g.GflopsPerRepeat.Count > 1 ? $" ({Gflops(g.MinGflops)}-{Gflops(g.MaxGflops)})" : "";
        var ms = 2.0 * g.N * g.N * (double)g.N / (g.MedianGflops * 1e9) * 1000;
        return [g.Id, g.DType, g.N.ToString(Inv), Gflops(g.MedianGflops) + spread, Ms(ms)];
    }

    /// <summary>The GEMM peak a row is measured against (<see cref="PeakRecord.Reference"/>): bfloat16 for bf16 rows, else float32.</summary>
    public static PeakReference? PeakFor(RowResult r, IReadOnlyDictionary<string, PeakReference> peaks) =>
        peaks.GetValueOrDefault(r.Case.Precision == Training.Precision.BFloat16 ? "bfloat16" : "float32");

    /// <summary>Images per second: thousands separators from 1,000, one decimal below 100.</summary>
    public static string Rate(double v) => v >= 100 ? v.ToString("N0", Inv) : v.ToString("F1", Inv);

    /// <summary>Milliseconds with about three significant digits.</summary>
    public static string Ms(double v) => v.ToString(v < 1 ? "F3" : v < 10 ? "F2" : v < 100 ? "F1" : "F0", Inv);

    /// <summary>GFLOP/s: one decimal below 100.</summary>
    public static string Gflops(double v) => v >= 100 ? v.ToString("N0", Inv) : v.ToString(v < 1 ? "F3" : "F1", Inv);

    /// <summary>A fraction as a percentage, e.g. "41%" (one decimal below 10%).</summary>
    public static string Percent(double fraction) => (100 * fraction).ToString(fraction < 0.1 ? "F1" : "F0", Inv) + "%";

    /// <summary>The stdout table of the rows: a header line, a rule, one line per row.</summary>
    public static string Table(IReadOnlyList<RowResult> rows, IReadOnlyDictionary<string, PeakReference> peaks) =>
        FixedWidth(Headers, rows.Select(r => Cells(r, PeakFor(r, peaks))), left: [0, 1, 3]);

    /// <summary>The stdout table of the GEMM rows.</summary>
    public static string GemmTable(IReadOnlyList<GemmResult> gemms) => FixedWidth(GemmHeaders, gemms.Select(GemmCells), left: [0, 1]);

    /// <summary>The rows in markdown.</summary>
    public static string MarkdownTable(IReadOnlyList<RowResult> rows, IReadOnlyDictionary<string, PeakReference> peaks) =>
        Markdown(Headers, rows.Select(r => Cells(r, PeakFor(r, peaks))), left: [0, 1, 3]);

    /// <summary>The GEMM rows in markdown.</summary>
    public static string GemmMarkdownTable(IReadOnlyList<GemmResult> gemms) => Markdown(GemmHeaders, gemms.Select(GemmCells), left: [0, 1]);

    // Text columns left-aligned, numbers right-aligned.
    static string FixedWidth(string[] headers, IEnumerable<string[]> rows, int[] left)
    {
        var cells = rows.ToList();
        var widths = headers.Select((h, i) => cells.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] r) => string.Join("  ", r.Select((s, i) => left.Contains(i) ? s.PadRight(widths[i]) : s.PadLeft(widths[i]))).TrimEnd();
        var sb = new StringBuilder();
        sb.AppendLine(Line(headers));
        sb.AppendLine(new string('-', widths.Sum() + 2 * (widths.Length - 1)));
        foreach (var r in cells) sb.AppendLine(Line(r));
        return sb.ToString();
    }

    static string Markdown(string[] headers, IEnumerable<string[]> rows, int[] left)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", headers) + " |");
        sb.AppendLine("|" + string.Join("|", headers.Select((_, i) => left.Contains(i) ? "---" : "---:")) + "|");
        foreach (var r in rows) sb.AppendLine("| " + string.Join(" | ", r) + " |");
        return sb.ToString();
    }
}

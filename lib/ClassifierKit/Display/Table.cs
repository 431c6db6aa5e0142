using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

namespace ClassifierKit.Display;

/// <summary>
/// Rows and named columns, shown in a notebook as a real table (HTML, with a plain-text twin). <c>Table.Of(rows)</c> makes one
/// column per public property of the row type, anonymous types included: <c>Table.Of(result.PerClass.Select(c => new { c.Class, c.Accuracy }))</c>.
/// </summary>
public sealed class Table
{
    /// <summary>Column headers, in order.</summary>
    public IReadOnlyList<string> Columns { get; }
    /// <summary>The cells, already formatted, row by row.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows { get; }
    /// <summary>Optional caption above the table.</summary>
    public string? Caption { get; init; }

    /// <summary>A table from headers and formatted cells; every row has one cell per column.</summary>
    public Table(IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var bad = rows.Select((r, i) => (r, i)).FirstOrDefault(x => x.r.Count != columns.Count);
        if (bad.r is not null)
            throw new ArgumentException($"row {bad.i} has {bad.r.Count} cells for {columns.Count} columns.", nameof(rows));
        Columns = columns;
        Rows = rows;
    }

    /// <summary>One row per item, one column per public property (in declaration order); numbers get thousands separators or 4 significant digits.</summary>
    public static Table Of<T>(IEnumerable<T> items, string? caption = null)
    {
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).ToArray();
        if (properties.Length == 0 || typeof(T) == typeof(string) || typeof(T).IsPrimitive)
            return new Table(["value"], items.Select(i => (IReadOnlyList<string>)[Cell(i)]).ToList()) { Caption = caption };
        return new Table(properties.Select(p => p.Name).ToArray(),
            items.Select(i => (IReadOnlyList<string>)properties.Select(p => Cell(p.GetValue(i))).ToArray()).ToList()) { Caption = caption };
    }

    /// <summary>How a value reads in a cell.</summary>
    public static string Cell(object? value) => value switch
    {
        null => "",
        string s => s,
        double d when !double.IsFinite(d) => d.ToString(CultureInfo.InvariantCulture),
        double d => Math.Abs(d) >= 1000 && d == Math.Round(d) ? d.ToString("N0", CultureInfo.InvariantCulture) : d.ToString("G4", CultureInfo.InvariantCulture),
        float f => Cell((double)f),
        int or long or short => Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString("N0", CultureInfo.InvariantCulture),
        IEnumerable<long> shape => "[" + string.Join(", ", shape) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>An HTML table.</summary>
    public string ToHtml()
    {
        var sb = new StringBuilder("<table style=\"border-collapse:collapse;font-family:monospace;font-size:13px\">");
        if (Caption is not null) sb.Append($"<caption style=\"text-align:left;font-weight:bold\">{WebUtility.HtmlEncode(Caption)}</caption>");
        sb.Append("<thead><tr>");
        foreach (var c in Columns) sb.Append($"<th style=\"border-bottom:1px solid #999;padding:2px 10px;text-align:left\">{WebUtility.HtmlEncode(c)}</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in Rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row)
                sb.Append($"<td style=\"padding:2px 10px;text-align:{(IsNumber(cell) ? "right" : "left")}\">{WebUtility.HtmlEncode(cell)}</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>Aligned plain-text columns.</summary>
    public override string ToString()
    {
        var widths = Columns.Select((c, j) => Math.Max(c.Length, Rows.Select(r => r[j].Length).DefaultIfEmpty(0).Max())).ToArray();
        string Line(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, j) => IsNumber(c) ? c.PadLeft(widths[j]) : c.PadRight(widths[j]))).TrimEnd();
        var lines = new List<string>();
        if (Caption is not null) lines.Add(Caption);
        lines.Add(Line(Columns));
        lines.Add(string.Join("  ", widths.Select(w => new string('-', w))));
        lines.AddRange(Rows.Select(Line));
        return string.Join("\n", lines);
    }

    static bool IsNumber(string cell) => cell.Length > 0 && double.TryParse(cell.TrimEnd('%', ' '), NumberStyles.Any, CultureInfo.InvariantCulture, out _);
}

namespace ClassifierKit.Display;

/// <summary>One named line of a <see cref="LineChart"/>.</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="X">X values.</param>
/// <param name="Y">Y values (NaN leaves a gap).</param>
/// <param name="Dashed">Draw as a dashed reference line (a target, a budget) rather than data.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Dashed = false)
{
    /// <summary>The X and Y lists must pair up.</summary>
    public Series Checked() => X.Count == Y.Count ? this
        : throw new ArgumentException($"series '{Name}' has {X.Count} x values but {Y.Count} y values; give one y per x.");
}

/// <summary>
/// A chart the notebooks show: plain data plus titles, drawn two ways from the same numbers. Interactive as a plotly.js figure
/// (<see cref="ToPlotlyJson"/>, MIME type <c>application/vnd.plotly.v1+json</c>, which VS Code's notebook renderers draw with no
/// network) and static as SVG (<see cref="ToSvg"/>, drawn by OxyPlot in managed code: Jupyter, exported HTML, GitHub).
/// </summary>
/// <remarks>
/// We write the plotly figure JSON ourselves instead of calling Plotly.NET: Plotly.NET 6 needs FSharp.Core 10.1 and no
/// released .NET Interactive kernel carries it (the newest, 1.0.712001, has 10.0), so it cannot load in the kernels learners
/// use, and it cannot draw a static picture without a headless browser. The figure format is plotly.js's public schema.
/// </remarks>
public abstract class Chart
{
    /// <summary>Title above the plot.</summary>
    public required string Title { get; init; }
    /// <summary>Horizontal axis title.</summary>
    public string XTitle { get; init; } = "";
    /// <summary>Vertical axis title.</summary>
    public string YTitle { get; init; } = "";
    /// <summary>Fixed vertical range (null: fitted to the data).</summary>
    public (double Min, double Max)? YRange { get; init; }
    /// <summary>Size in pixels.</summary>
    public int Width { get; init; } = 720;
    /// <summary>Size in pixels.</summary>
    public int Height { get; init; } = 420;

    /// <summary>The plotly.js figure, <c>{"data": [...], "layout": {...}}</c>.</summary>
    public string ToPlotlyJson() => PlotlyFigure.Of(this);

    /// <summary>A standalone SVG picture of the chart.</summary>
    public string ToSvg() => SvgChart.Render(this);

    /// <summary>The SVG picture as an HTML img (class "ck-chart", the title as its alt text): an image document of its own, drawn
    /// by every browser and notebook frontend and kept intact by HTML exporters that sanitize inline SVG.</summary>
    public string ToHtmlImage() =>
        $"<img class=\"ck-chart\" alt=\"{System.Net.WebUtility.HtmlEncode(Title)}\" width=\"{Width}\" height=\"{Height}\" " +
        $"src=\"data:image/svg+xml;base64,{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ToSvg()))}\"/>";

    /// <summary>Writes the chart to <paramref name="path"/>: .svg (picture), .json (plotly figure) or .html (a page with the picture; no network needed).</summary>
    public void Save(string path)
    {
        var text = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".svg" => ToSvg(),
            ".json" => ToPlotlyJson(),
            ".html" or ".htm" => $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{System.Net.WebUtility.HtmlEncode(Title)}</title></head><body>{ToHtmlImage()}</body></html>",
            var other => throw new ArgumentException($"cannot save a chart as '{other}'; use .svg, .json or .html.", nameof(path)),
        };
        File.WriteAllText(path, text);
    }

    /// <summary>The title, for plain-text output.</summary>
    public override string ToString() => $"{GetType().Name}: {Title}";

    /// <summary>The colours of the traces, in order (D3's category10, plotly.js's default), so both drawings match.</summary>
    internal static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
}

/// <summary>Lines over a numeric x axis (loss and accuracy curves, learning-rate schedules, accuracy over time).</summary>
public sealed class LineChart : Chart
{
    /// <summary>The lines, drawn in order.</summary>
    public required IReadOnlyList<Series> Lines { get; init; }
    /// <summary>The x values are whole numbers (epochs): ticks fall on them only.</summary>
    public bool IntegerX { get; init; }
}

/// <summary>Vertical bars per category, one group member per series (per-class accuracy, model comparisons).</summary>
public sealed class BarChart : Chart
{
    /// <summary>Category labels along the x axis.</summary>
    public required IReadOnlyList<string> Categories { get; init; }
    /// <summary>One value per category for each named series.</summary>
    public required IReadOnlyList<(string Name, IReadOnlyList<double> Values)> Bars { get; init; }
}

/// <summary>A matrix of numbers as coloured cells with their values written in (a confusion matrix).</summary>
public sealed class HeatmapChart : Chart
{
    /// <summary>Column labels (x).</summary>
    public required IReadOnlyList<string> Columns { get; init; }
    /// <summary>Row labels (y, drawn top to bottom).</summary>
    public required IReadOnlyList<string> Rows { get; init; }
    /// <summary>Values [row, column].</summary>
    public required double[,] Values { get; init; }
    /// <summary>Format of the value written in each cell.</summary>
    public string CellFormat { get; init; } = "0";
}

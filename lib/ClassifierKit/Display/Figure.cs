using Plotly.NET;

namespace ClassifierKit.Display;

/// <summary>A Plotly.NET chart that renders inline in a notebook and can be saved as a standalone HTML page.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class Figure(GenericChart chart) : IHtmlDisplayable
{
    /// <summary>The underlying Plotly.NET chart, for further styling.</summary>
    public GenericChart Chart { get; } = chart;

    /// <summary>The chart's div and script (plotly.js is loaded from its CDN by the page).</summary>
    public string ToHtml() => GenericChart.toChartHTML(Chart);

    /// <summary>Writes a standalone HTML page.</summary>
    public void SaveHtml(string path) => File.WriteAllText(path, GenericChart.toEmbeddedHTML(Chart));
}

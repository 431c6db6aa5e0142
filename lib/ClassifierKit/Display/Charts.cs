using Plotly.NET;
using Plotly.NET.CSharp;
using PlotlyChart = Plotly.NET.CSharp.Chart;

namespace ClassifierKit.Display;

/// <summary>One named line of a line chart.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>The charts the notebooks draw, built with Plotly.NET.</summary>
public static class Charts
{
    /// <summary>Overlaid lines (loss curves, accuracy over time) with axis titles.</summary>
    public static Figure Line(string title, string xTitle, string yTitle, params Series[] series)
    {
        var lines = series.Select(s => PlotlyChart.Line<double, double, string>(x: s.X, y: s.Y, Name: s.Name, ShowMarkers: s.X.Count <= 30));
        return Styled(PlotlyChart.Combine(lines), title, xTitle, yTitle);
    }

    /// <summary>One bar per category, e.g. per-class accuracy.</summary>
    public static Figure Bar(string title, IReadOnlyList<string> categories, IReadOnlyList<double> values, string yTitle) =>
        GroupedBar(title, categories, yTitle, (yTitle, values));

    /// <summary>Bars grouped by category, one colour per series (e.g. accuracy of several models per class).</summary>
    public static Figure GroupedBar(string title, IReadOnlyList<string> categories, string yTitle, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        var bars = series.Select(s => PlotlyChart.Column<double, string, string>(values: s.Values, Keys: new Optional<IEnumerable<string>>(categories, true), Name: s.Name));
        return Styled(PlotlyChart.Combine(bars), title, "", yTitle);
    }

    static Figure Styled(GenericChart chart, string title, string xTitle, string yTitle)
    {
        chart = Plotly.NET.Chart.withTitle(title, null).Invoke(chart);
        chart = chart.WithXAxisStyle<double, double, string>(TitleText: xTitle);
        chart = chart.WithYAxisStyle<double, double, string>(TitleText: yTitle);
        return new Figure(chart);
    }
}

using System.Text.Json;
using System.Xml.Linq;
using ClassifierKit.Display;

namespace ClassifierKit.Tests.Display;

public class ChartTests
{
    static readonly LineChart Loss = Charts.Line("Training loss", "step", "loss",
        new Series("train", [1, 2, 3], [2.3, double.NaN, 1.1]), new Series("target", [0, 3], [1, 1], Dashed: true));

    [Fact]
    public void The_plotly_figure_has_one_trace_per_series_and_gaps_for_missing_values()
    {
        using var figure = JsonDocument.Parse(Loss.ToPlotlyJson());
        var data = figure.RootElement.GetProperty("data");
        Assert.Equal(2, data.GetArrayLength());
        Assert.Equal("scatter", data[0].GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, data[0].GetProperty("y")[1].ValueKind);     // NaN is a gap, not invalid JSON
        Assert.Equal("dash", data[1].GetProperty("line").GetProperty("dash").GetString());
        Assert.Equal("Training loss", figure.RootElement.GetProperty("layout").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Grouped_bars_and_heat_maps_become_plotly_bar_and_heatmap_traces()
    {
        var bars = Charts.GroupedBar("Per class", ["cat", "dog"], "accuracy (%)", ("Net", [40.0, 50.0]), ("ResNet", [60.0, 70.0]));
        using var b = JsonDocument.Parse(bars.ToPlotlyJson());
        Assert.Equal("group", b.RootElement.GetProperty("layout").GetProperty("barmode").GetString());
        Assert.All(b.RootElement.GetProperty("data").EnumerateArray(), t => Assert.Equal("bar", t.GetProperty("type").GetString()));
        var heat = new HeatmapChart { Title = "confusion", Columns = ["a", "b"], Rows = ["a", "b"], Values = new double[,] { { 9, 1 }, { 2, 8 } } };
        using var h = JsonDocument.Parse(heat.ToPlotlyJson());
        Assert.Equal(8, h.RootElement.GetProperty("data")[0].GetProperty("z")[1][1].GetDouble());
    }

    [Fact]
    public void The_svg_is_a_fragment_with_a_line_per_series_and_clip_ids_of_its_own()
    {
        string a = Loss.ToSvg(), b = Loss.ToSvg();
        Assert.StartsWith("<svg", a);                                   // no XML declaration: it goes inline into HTML
        var svg = XElement.Parse(a);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.True(svg.Descendants(ns + "polyline").Count() >= 2);
        var idsA = svg.Descendants(ns + "clipPath").Select(c => (string)c.Attribute("id")!).ToHashSet();
        var idsB = XElement.Parse(b).Descendants(ns + "clipPath").Select(c => (string)c.Attribute("id")!).ToHashSet();
        Assert.NotEmpty(idsA);
        Assert.Empty(idsA.Intersect(idsB));                             // two charts on one page must not clip each other
        Assert.Contains("data:image/svg+xml;base64,", Loss.ToHtmlImage());
    }

    [Fact]
    public void Series_whose_lists_do_not_pair_up_are_refused()
    {
        var chart = Charts.Line("bad", "x", "y", new Series("s", [1, 2, 3], [1, 2]));
        var e = Assert.Throws<ArgumentException>(() => chart.ToPlotlyJson());
        Assert.Contains("3 x values but 2 y values", e.Message);
    }
}

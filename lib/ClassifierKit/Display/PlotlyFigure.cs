using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClassifierKit.Display;

/// <summary>Writes a <see cref="Chart"/> as a plotly.js figure: <c>{"data": [traces], "layout": {...}}</c> (plotly.js's figure schema).</summary>
internal static class PlotlyFigure
{
    public static string Of(Chart chart)
    {
        var data = new JsonArray();
        var layout = new JsonObject
        {
            ["title"] = new JsonObject { ["text"] = chart.Title },
            ["width"] = chart.Width,
            ["height"] = chart.Height,
            ["colorway"] = new JsonArray(Chart.Palette.Select(c => (JsonNode)c).ToArray()),
            ["xaxis"] = Axis(chart.XTitle),
            ["yaxis"] = Axis(chart.YTitle),
        };
        if (chart.YRange is { } r) layout["yaxis"]!["range"] = new JsonArray(r.Min, r.Max);
        switch (chart)
        {
            case LineChart line:
                if (line.IntegerX) layout["xaxis"]!["dtick"] = 1;
                int colour = 0;
                foreach (var s in line.Lines.Select(s => s.Checked()))
                {
                    var trace = new JsonObject
                    {
                        ["type"] = "scatter",
                        ["name"] = s.Name,
                        ["mode"] = s.X.Count <= 30 && !s.Dashed ? "lines+markers" : "lines",
                        ["x"] = Numbers(s.X),
                        ["y"] = Numbers(s.Y),
                    };
                    if (s.Dashed) trace["line"] = new JsonObject { ["dash"] = "dash", ["color"] = "#555555", ["width"] = 1.5 };
                    else trace["line"] = new JsonObject { ["color"] = Chart.Palette[colour++ % Chart.Palette.Length] };
                    data.Add(trace);
                }
                break;
            case BarChart bar:
                foreach (var (name, values) in bar.Bars)
                {
                    if (values.Count != bar.Categories.Count)
                        throw new ArgumentException($"bar series '{name}' has {values.Count} values for {bar.Categories.Count} categories.");
                    data.Add(new JsonObject
                    {
                        ["type"] = "bar",
                        ["name"] = name,
                        ["x"] = new JsonArray(bar.Categories.Select(c => (JsonNode)c).ToArray()),
                        ["y"] = Numbers(values),
                    });
                }
                layout["barmode"] = "group";
                layout["showlegend"] = bar.Bars.Count > 1;
                break;
            case HeatmapChart heat:
                int rows = heat.Values.GetLength(0), cols = heat.Values.GetLength(1);
                var z = new JsonArray();
                var text = new JsonArray();
                for (int i = 0; i < rows; i++)
                {
                    z.Add(Numbers(Enumerable.Range(0, cols).Select(j => heat.Values[i, j]).ToArray()));
                    text.Add(new JsonArray(Enumerable.Range(0, cols).Select(j => (JsonNode)heat.Values[i, j].ToString(heat.CellFormat)).ToArray()));
                }
                data.Add(new JsonObject
                {
                    ["type"] = "heatmap",
                    ["x"] = new JsonArray(heat.Columns.Select(c => (JsonNode)c).ToArray()),
                    ["y"] = new JsonArray(heat.Rows.Select(c => (JsonNode)c).ToArray()),
                    ["z"] = z,
                    ["text"] = text,
                    ["texttemplate"] = "%{text}",
                    ["colorscale"] = "Blues",
                    ["hovertemplate"] = "%{y} → %{x}: %{text}<extra></extra>",
                });
                layout["yaxis"]!["autorange"] = "reversed";
                break;
            default:
                throw new ArgumentException($"no plotly form for {chart.GetType().Name}");
        }
        return new JsonObject { ["data"] = data, ["layout"] = layout }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    static JsonObject Axis(string title) => new() { ["title"] = new JsonObject { ["text"] = title }, ["automargin"] = true };

    // JSON has no NaN or infinity; plotly.js leaves a gap for null.
    static JsonArray Numbers(IEnumerable<double> values) =>
        new(values.Select(v => double.IsFinite(v) ? JsonValue.Create(v) : null).Select(v => (JsonNode?)v).ToArray());
}

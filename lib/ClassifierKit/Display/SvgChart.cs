using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace ClassifierKit.Display;

/// <summary>Draws a <see cref="Chart"/> as SVG with OxyPlot (managed code, no browser), in the same colours as its plotly figure.</summary>
internal static class SvgChart
{
    public static string Render(Chart chart)
    {
        var model = new PlotModel
        {
            Title = chart.Title,
            TitleFontSize = 15,
            DefaultFont = "Arial, Helvetica, sans-serif",
            Padding = new OxyThickness(8, 8, 20, 8),
            Background = OxyColors.White,
            PlotAreaBorderColor = OxyColor.FromRgb(200, 200, 200),
        };
        switch (chart)
        {
            case LineChart line: Lines(model, line); break;
            case BarChart bar: Bars(model, bar); break;
            case HeatmapChart heat: Heatmap(model, heat); break;
            default: throw new ArgumentException($"no SVG form for {chart.GetType().Name}");
        }
        var svg = SvgExporter.ExportToString(model, chart.Width, chart.Height, isDocument: false, PixelTextMeasurer.Instance);
        // OxyPlot numbers its clip paths clipPath1, clipPath2, ... in every picture; inline in one page (a notebook, its HTML
        // export) the pictures would share those ids and clip each other, so each picture gets its own.
        var prefix = $"ck{Interlocked.Increment(ref _pictures):x}{Environment.ProcessId:x}";
        // OxyPlot writes an XML declaration even for a fragment; inline in HTML (and for nbconvert's parser) it must go.
        svg = svg[svg.IndexOf("<svg", StringComparison.Ordinal)..];
        return svg.Replace("id=\"clipPath", $"id=\"{prefix}clip").Replace("url(#clipPath", $"url(#{prefix}clip");
    }

    static long _pictures;

    // Below the plot, in a row: a legend at the side is cut off when the browser's font is wider than OxyPlot measured.
    static Legend Legend() => new()
    {
        LegendPosition = LegendPosition.BottomCenter,
        LegendPlacement = LegendPlacement.Outside,
        LegendOrientation = LegendOrientation.Horizontal,
        LegendItemSpacing = 28,
    };

    static OxyColor Colour(int i) => OxyColor.Parse(Chart.Palette[i % Chart.Palette.Length]);

    static LinearAxis ValueAxis(Chart chart, AxisPosition position, string title, string? key = null)
    {
        var axis = new LinearAxis
        {
            Position = position,
            Title = title,
            Key = key,
            MajorGridlineStyle = LineStyle.Solid,
            MajorGridlineColor = OxyColor.FromRgb(235, 235, 235),
        };
        if (position == AxisPosition.Left && chart.YRange is { } r) (axis.Minimum, axis.Maximum) = (r.Min, r.Max);
        return axis;
    }

    static void Lines(PlotModel model, LineChart chart)
    {
        var x = ValueAxis(chart, AxisPosition.Bottom, chart.XTitle);
        if (chart.IntegerX) (x.MajorStep, x.MinorStep, x.StringFormat) = (1, 1, "0");
        model.Axes.Add(x);
        model.Axes.Add(ValueAxis(chart, AxisPosition.Left, chart.YTitle));
        int colour = 0;
        foreach (var s in chart.Lines.Select(s => s.Checked()))
        {
            var series = new LineSeries
            {
                Title = s.Name,
                Color = s.Dashed ? OxyColor.FromRgb(85, 85, 85) : Colour(colour++),
                LineStyle = s.Dashed ? LineStyle.Dash : LineStyle.Solid,
                StrokeThickness = s.Dashed ? 1.5 : 2,
                MarkerType = s.X.Count <= 30 && !s.Dashed ? MarkerType.Circle : MarkerType.None,
                MarkerSize = 3,
            };
            for (int i = 0; i < s.X.Count; i++)
                series.Points.Add(double.IsFinite(s.Y[i]) ? new DataPoint(s.X[i], s.Y[i]) : DataPoint.Undefined);
            model.Series.Add(series);
        }
        if (chart.Lines.Count > 1) model.Legends.Add(Legend());
    }

    static void Bars(PlotModel model, BarChart chart)
    {
        // OxyPlot draws vertical bars when the category axis is the horizontal one.
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Key = "categories", ItemsSource = chart.Categories, Title = chart.XTitle, Angle = chart.Categories.Count > 6 ? -30 : 0 });
        var values = ValueAxis(chart, AxisPosition.Left, chart.YTitle, "values");
        values.MinimumPadding = 0;
        values.AbsoluteMinimum = Math.Min(0, chart.Bars.SelectMany(b => b.Values).Where(double.IsFinite).DefaultIfEmpty(0).Min());
        model.Axes.Add(values);
        int colour = 0;
        foreach (var (name, vs) in chart.Bars)
        {
            if (vs.Count != chart.Categories.Count)
                throw new ArgumentException($"bar series '{name}' has {vs.Count} values for {chart.Categories.Count} categories.");
            var series = new BarSeries { Title = name, FillColor = Colour(colour++), XAxisKey = "values", YAxisKey = "categories" };
            foreach (var v in vs) series.Items.Add(new BarItem(double.IsFinite(v) ? v : 0));
            model.Series.Add(series);
        }
        if (chart.Bars.Count > 1) model.Legends.Add(Legend());
    }

    static void Heatmap(PlotModel model, HeatmapChart chart)
    {
        int rows = chart.Values.GetLength(0), cols = chart.Values.GetLength(1);
        if (rows != chart.Rows.Count || cols != chart.Columns.Count)
            throw new ArgumentException($"the heat map has {rows}x{cols} values for {chart.Rows.Count} row and {chart.Columns.Count} column labels.");
        model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Palette = OxyPalette.Interpolate(256, OxyColor.FromRgb(247, 251, 255), OxyColor.FromRgb(8, 48, 107)) });
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Key = "x", ItemsSource = chart.Columns, Title = chart.XTitle, Angle = cols > 6 ? -30 : 0 });
        // Rows top to bottom, as a table reads (and as the plotly figure's reversed y axis).
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, Key = "y", ItemsSource = chart.Rows, Title = chart.YTitle, StartPosition = 1, EndPosition = 0 });
        // HeatMapSeries indexes its data [x, y]: transpose the [row, column] matrix.
        var data = new double[cols, rows];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                data[j, i] = chart.Values[i, j];
        model.Series.Add(new HeatMapSeries
        {
            X0 = 0, X1 = cols - 1, Y0 = 0, Y1 = rows - 1,
            Data = data,
            XAxisKey = "x", YAxisKey = "y",
            RenderMethod = HeatMapRenderMethod.Rectangles,
            LabelFontSize = 0.22,
            LabelFormatString = chart.CellFormat,
        });
    }
}

/// <summary>
/// Measures text in CSS pixels for OxyPlot's SVG writer. Its default measurer (the PDF writer's Helvetica metrics) answers in
/// points, 3/4 of a pixel, while the SVG it writes sizes fonts in pixels: legends and axis titles were laid out a quarter too
/// narrow and came out cut off. Only <see cref="MeasureText"/> is used by the SVG writer.
/// </summary>
internal sealed class PixelTextMeasurer : RenderContextBase
{
    public static readonly PixelTextMeasurer Instance = new();
    readonly PdfRenderContext _pdf = new(100, 100, OxyColors.White);

    public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight)
    {
        var size = _pdf.MeasureText(text, fontFamily, fontSize, fontWeight);
        return new OxySize(size.Width * 4 / 3, size.Height * 4 / 3);
    }

    public override void DrawLine(IList<ScreenPoint> points, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[]? dashArray, LineJoin lineJoin) { }
    public override void DrawPolygon(IList<ScreenPoint> points, OxyColor fill, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[]? dashArray, LineJoin lineJoin) { }
    public override void DrawText(ScreenPoint p, string text, OxyColor fill, string fontFamily, double fontSize, double fontWeight, double rotation,
        HorizontalAlignment halign, VerticalAlignment valign, OxySize? maxSize) { }
    public override void PopClip() { }
    public override void PushClip(OxyRect clippingRectangle) { }
    public override int ClipCount => 0;
}

using System.Globalization;
using System.Net;
using System.Text;

namespace ClassifierKit.Display;

/// <summary>
/// Boxes in columns, joined by arrows: a network's layers with the shape of what flows between them, or the graph autograd
/// records for a formula. Drawn as SVG (no browser, no network) and shown inline as a picture, like the figures of the
/// PyTorch blitz.
/// </summary>
public sealed class Diagram
{
    /// <summary>One box: its id (for arrows), its label, an optional second line, and whether to draw it filled (a leaf, an input).</summary>
    public sealed record Box(string Id, string Label, string? Note = null, bool Filled = false);

    const int BoxHeight = 44, RowGap = 18, ColumnGap = 36, Margin = 12, TitleHeight = 26;
    const double CharWidth = 7.4;   // 13 px sans-serif, on average

    /// <summary>The title drawn above the boxes.</summary>
    public string Title { get; }
    /// <summary>The boxes, column by column from the left; a null keeps a row of its column empty.</summary>
    public IReadOnlyList<IReadOnlyList<Box?>> Columns { get; }
    /// <summary>Arrows by box id.</summary>
    public IReadOnlyList<(string From, string To)> Arrows { get; }

    Diagram(string title, IReadOnlyList<IReadOnlyList<Box?>> columns, IReadOnlyList<(string, string)> arrows) =>
        (Title, Columns, Arrows) = (title, columns, arrows);

    /// <summary>
    /// A graph drawn in the given columns, each centred on the tallest; a null in a column keeps that row empty, so that an
    /// arrow can pass. Every arrow must name two of its boxes.
    /// </summary>
    public static Diagram Layered(string title, IEnumerable<IEnumerable<Box?>> columns, IEnumerable<(string From, string To)> arrows)
    {
        var cols = columns.Select(c => (IReadOnlyList<Box?>)c.ToList()).Where(c => c.Any(b => b is not null)).ToList();
        var ids = cols.SelectMany(c => c).OfType<Box>().Select(b => b.Id).ToList();
        if (ids.Count == 0) throw new ArgumentException("a diagram needs at least one box.", nameof(columns));
        var twice = ids.GroupBy(i => i).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"two boxes have the id '{twice.Key}': give each box its own.", nameof(columns));
        var list = arrows.ToList();
        var unknown = list.SelectMany(a => new[] { a.From, a.To }).FirstOrDefault(i => !ids.Contains(i));
        if (unknown is not null) throw new ArgumentException($"an arrow names '{unknown}', which is no box's id (the boxes: {string.Join(", ", ids)}).", nameof(arrows));
        return new Diagram(title, cols, list);
    }

    /// <summary>A chain, left to right: each step a box, each joined to the next (a network's layers in order).</summary>
    public static Diagram Chain(string title, params (string Label, string? Note)[] steps)
    {
        var boxes = steps.Select((s, i) => new Box($"s{i}", s.Label, s.Note, Filled: i == 0)).ToList();
        return Layered(title, boxes.Select(b => new[] { b }), boxes.Zip(boxes.Skip(1), (a, b) => (a.Id, b.Id)));
    }

    /// <summary>The drawing as an SVG element.</summary>
    public string ToSvg()
    {
        var widths = Columns.Select(c => c.OfType<Box>().Max(b => (int)Math.Ceiling(Math.Max(b.Label.Length, b.Note?.Length ?? 0) * CharWidth) + 20)).ToList();
        int rows = Columns.Max(c => c.Count);
        int height = 2 * Margin + TitleHeight + rows * BoxHeight + (rows - 1) * RowGap;
        int width = 2 * Margin + widths.Sum() + (Columns.Count - 1) * ColumnGap;
        var where = new Dictionary<string, (double X, double Y, double W)>();
        double x = Margin;
        for (int c = 0; c < Columns.Count; c++)
        {
            var column = Columns[c];
            double top = Margin + TitleHeight + (rows - column.Count) * (BoxHeight + RowGap) / 2.0;
            for (int r = 0; r < column.Count; r++)
                if (column[r] is { } box) where[box.Id] = (x, top + r * (BoxHeight + RowGap), widths[c]);
            x += widths[c] + ColumnGap;
        }
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"Arial, Helvetica, sans-serif\">"));
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>");
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"));
        svg.Append(Invariant($"<text x=\"{Margin}\" y=\"{Margin + 15}\" font-size=\"15\" fill=\"#222\">{Encode(Title)}</text>"));
        foreach (var (from, to) in Arrows)
        {
            var (a, b) = (where[from], where[to]);
            svg.Append(Invariant($"<line class=\"arrow\" x1=\"{a.X + a.W:F1}\" y1=\"{a.Y + BoxHeight / 2.0:F1}\" x2=\"{b.X:F1}\" y2=\"{b.Y + BoxHeight / 2.0:F1}\" stroke=\"#555\" stroke-width=\"1.4\" marker-end=\"url(#arrow)\"/>"));
        }
        foreach (var box in Columns.SelectMany(c => c).OfType<Box>())
        {
            var (bx, by, bw) = where[box.Id];
            svg.Append(Invariant($"<rect class=\"box\" x=\"{bx:F1}\" y=\"{by:F1}\" width=\"{bw}\" height=\"{BoxHeight}\" rx=\"6\" fill=\"{(box.Filled ? "#dbe8f6" : "#f7f7f7")}\" stroke=\"{(box.Filled ? "#3b6ea8" : "#888")}\"/>"));
            double labelY = box.Note is null ? by + BoxHeight / 2.0 + 5 : by + 18;
            svg.Append(Invariant($"<text x=\"{bx + bw / 2.0:F1}\" y=\"{labelY:F1}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#222\">{Encode(box.Label)}</text>"));
            if (box.Note is not null)
                svg.Append(Invariant($"<text x=\"{bx + bw / 2.0:F1}\" y=\"{by + 35:F1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#555\">{Encode(box.Note)}</text>"));
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>The drawing as an HTML picture (an SVG image), as notebooks show it.</summary>
    public string ToHtml() =>
        $"<img alt=\"{Encode(Title)}\" src=\"data:image/svg+xml;base64,{Convert.ToBase64String(Encoding.UTF8.GetBytes(ToSvg()))}\"/>";

    /// <summary>The arrows as text, one per line ("a -> b"), for a plain-text output.</summary>
    public override string ToString()
    {
        var label = Columns.SelectMany(c => c).OfType<Box>().ToDictionary(b => b.Id, b => b.Note is null ? b.Label : $"{b.Label} ({b.Note})");
        return Title + "\n" + string.Join("\n", Arrows.Select(a => $"{label[a.From]} -> {label[a.To]}"));
    }

    static string Encode(string text) => WebUtility.HtmlEncode(text);
    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

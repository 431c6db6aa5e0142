using System.Text.RegularExpressions;
using System.Xml.Linq;
using ClassifierKit.Display;

namespace ClassifierKit.Tests.Display;

public class DiagramTests
{
    static Diagram Graph() => Diagram.Layered("Q = 3a³ - b²",
        [[new("a", "a", "leaf", Filled: true), new("b", "b", "leaf", Filled: true)], [new("a3", "a³"), new("b2", "b²")], [new("q", "Q", "SubBackward0")]],
        [("a", "a3"), ("b", "b2"), ("a3", "q"), ("b2", "q")]);

    [Fact]
    public void It_draws_one_box_per_node_and_one_arrow_per_edge_each_arrow_from_its_source_to_its_target()
    {
        var svg = XElement.Parse(Graph().ToSvg());
        XNamespace ns = "http://www.w3.org/2000/svg";
        var boxes = svg.Descendants(ns + "rect").Where(r => (string?)r.Attribute("class") == "box").ToList();
        var arrows = svg.Descendants(ns + "line").Where(l => (string?)l.Attribute("class") == "arrow").ToList();
        Assert.Equal(5, boxes.Count);
        Assert.Equal(4, arrows.Count);
        // Every arrow runs left to right, from the right edge of a box in one column to the left edge of a box in the next.
        var rightEdges = boxes.Select(b => double.Parse((string)b.Attribute("x")!) + double.Parse((string)b.Attribute("width")!)).ToHashSet();
        var leftEdges = boxes.Select(b => double.Parse((string)b.Attribute("x")!)).ToHashSet();
        foreach (var a in arrows)
        {
            Assert.Contains(Math.Round(double.Parse((string)a.Attribute("x1")!), 1), rightEdges.Select(v => Math.Round(v, 1)));
            Assert.Contains(Math.Round(double.Parse((string)a.Attribute("x2")!), 1), leftEdges.Select(v => Math.Round(v, 1)));
        }
        Assert.Contains("SubBackward0", svg.Value);
        Assert.Equal(2, boxes.Count(b => (string?)b.Attribute("fill") == "#dbe8f6"));   // the leaves
    }

    [Fact]
    public void A_chain_joins_each_step_to_the_next_and_its_text_form_lists_them()
    {
        var chain = Diagram.Chain("LeNet", ("input", "1×32×32"), ("conv1", "6×28×28"), ("fc3", "10"));
        Assert.Equal("LeNet\ninput (1×32×32) -> conv1 (6×28×28)\nconv1 (6×28×28) -> fc3 (10)", chain.ToString());
        Assert.StartsWith("<img alt=\"LeNet\" src=\"data:image/svg+xml;base64,", chain.ToHtml());
    }

    [Fact]
    public void An_arrow_to_an_unknown_box_or_a_repeated_id_is_refused_naming_it()
    {
        var e = Assert.Throws<ArgumentException>(() => Diagram.Layered("t", [[new Diagram.Box("a", "a")]], [("a", "z")]));
        Assert.Contains("'z', which is no box's id", e.Message);
        e = Assert.Throws<ArgumentException>(() => Diagram.Layered("t", [[new Diagram.Box("a", "a")], [new Diagram.Box("a", "b")]], []));
        Assert.Contains("two boxes have the id 'a'", e.Message);
    }
}

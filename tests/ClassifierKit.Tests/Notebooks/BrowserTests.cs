using System.Text.Json;
using Xunit.Abstractions;

namespace ClassifierKit.Tests.Notebooks;

/// <summary>
/// What a reader sees, measured in a real browser (Debian's Chromium, headless) with the network off: the HTML export of every
/// executed notebook draws every chart and every image, and every plotly figure VS Code receives draws with a local plotly.js.
/// "Drawn" means pixels: a chart must have axes and text (ink) and data marks in colour.
/// </summary>
[Collection(NotebookRuns.Name)]
[Trait("Tier", Tiers.Browser)]
public class BrowserTests(NotebookRuns runs, ITestOutputHelper log)
{
    static string Browser => Path.Combine(NotebookRuns.Repo, "tests", "browser");

    static void RequireNodeModules() =>
        Assert.True(Directory.Exists(Path.Combine(Browser, "node_modules", "playwright-core")),
            "tests/browser/node_modules is missing: run `npm ci --prefix tests/browser` (.ci/run does).");

    // nbconvert's own page template asks for require.js (and MathJax for formulas) on a CDN; those belong to the exporter,
    // not to the notebook's charts, and the page draws everything of ours without them.
    static bool IsExporterAsset(string url) => url.Contains("require.js") || url.Contains("mathjax", StringComparison.OrdinalIgnoreCase);

    [Fact]
    public void Html_exports_draw_every_chart_and_image_with_the_network_off()
    {
        RequireNodeModules();
        var pages = new List<string>();
        foreach (var (name, nb) in runs.In("jupyter"))
        {
            var html = Path.ChangeExtension(nb.Path, ".html");
            var (exit, output) = NotebookRuns.Run("jupyter", ["nbconvert", "--to", "html", nb.Path, "--output", html], Path.GetDirectoryName(nb.Path)!);
            Assert.True(exit == 0, $"nbconvert failed for {name}:\n{output}");
            pages.Add(html);
        }
        var report = NotebookRuns.RunJson("node", [Path.Combine(Browser, "check-html.mjs"), .. pages], Browser);
        var problems = new List<string>();
        int charts = 0;
        foreach (var page in report.EnumerateArray())
        {
            var file = Path.GetFileName(page.GetProperty("file").GetString());
            foreach (var chart in page.GetProperty("charts").EnumerateArray())
            {
                charts++;
                int ink = chart.GetProperty("ink").GetInt32(), colour = chart.GetProperty("colour").GetInt32();
                log.WriteLine($"{file}: chart '{chart.GetProperty("alt").GetString()}' ink {ink}, colour {colour}");
                if (ink < 2000 || colour < 300) problems.Add($"{file}: chart '{chart.GetProperty("alt").GetString()}' is not drawn (ink {ink}, colour {colour} pixels)");
            }
            foreach (var image in page.GetProperty("images").EnumerateArray())
                if (image.GetProperty("width").GetInt32() == 0 || image.GetProperty("ink").GetInt32() == 0)
                    problems.Add($"{file}: an image did not draw ({image.GetRawText()})");
            problems.AddRange(page.GetProperty("blocked").EnumerateArray().Select(u => u.GetString()!).Where(u => !IsExporterAsset(u)).Select(u => $"{file}: tried to fetch {u}"));
        }
        int expected = runs.In("jupyter").Values.Sum(nb => nb.Cells.Count(c => c.Source.Contains("Charts.")));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(charts >= expected, $"the pages hold {charts} charts; the notebooks' cells draw at least {expected}");
    }

    [Fact]
    public void Plotly_figures_sent_to_VS_Code_draw_with_a_local_plotly_js()
    {
        RequireNodeModules();
        var notebooks = runs.In("vscode").Values.Select(nb => nb.Path).ToArray();
        var report = NotebookRuns.RunJson("node", [Path.Combine(Browser, "check-plotly.mjs"), .. notebooks], Browser);
        var figures = report.GetProperty("figures").EnumerateArray().ToList();
        int expected = runs.In("vscode").Values.Sum(nb => nb.Cells.Count(c => c.Source.Contains("Charts.")));
        Assert.True(figures.Count >= expected, $"{figures.Count} plotly figures; the notebooks' cells draw at least {expected}");
        var undrawn = figures.Where(f => f.GetProperty("colour").GetInt32() < 300 || f.GetProperty("traces").GetInt32() == 0)
            .Select(f => $"{f.GetProperty("file").GetString()}: '{f.GetProperty("alt").GetString()}' colour {f.GetProperty("colour").GetInt32()}").ToList();
        Assert.True(undrawn.Count == 0, "figures that plotly.js did not draw:\n" + string.Join("\n", undrawn));
        Assert.Empty(report.GetProperty("errors").EnumerateArray());
        Assert.Empty(report.GetProperty("blocked").EnumerateArray());
    }
}

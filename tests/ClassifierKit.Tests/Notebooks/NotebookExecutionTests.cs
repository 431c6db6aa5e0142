using Xunit.Abstractions;

namespace ClassifierKit.Tests.Notebooks;

/// <summary>
/// Every notebook runs clean in the stock kernel, in Jupyter and the way VS Code runs it, and every cell that draws something
/// shows it: the oracle is the notebook's own code (a cell that calls Charts.* must show a chart, ImageGrid/ImageGallery an
/// image, Table.Of a table).
/// </summary>
[Collection(NotebookRuns.Name)]
[Trait("Tier", Tiers.Notebooks)]
public class NotebookExecutionTests(NotebookRuns runs, ITestOutputHelper log)
{
    public static TheoryData<string, string> NotebooksByFrontend()
    {
        var data = new TheoryData<string, string>();
        foreach (var frontend in new[] { "jupyter", "vscode" })
            foreach (var nb in NotebookRuns.All) data.Add(frontend, nb);
        return data;
    }

    static bool IsChart(ExecutedNotebook.Output o, string frontend) => frontend == "jupyter"
        ? o.Data.TryGetValue("text/html", out var html) && html.Contains("class=\"ck-chart\"")
        : o.Data.ContainsKey("application/vnd.plotly.v1+json") && o.Data.ContainsKey("image/svg+xml");

    static bool IsImage(ExecutedNotebook.Output o) =>
        o.Data.TryGetValue("text/html", out var html) && html.Contains("data:image/png;base64") && !html.Contains("ck-chart");

    static bool IsTable(ExecutedNotebook.Output o) => o.Data.TryGetValue("text/html", out var html) && html.Contains("<table");

    [Theory]
    [MemberData(nameof(NotebooksByFrontend))]
    public void Runs_clean_and_every_drawing_cell_shows_its_drawing(string frontend, string notebook)
    {
        var nb = runs.In(frontend)[notebook];
        var errors = nb.Cells.SelectMany(c => c.Errors.Select(e => $"cell {c.Index}: {e}")).ToList();
        Assert.True(errors.Count == 0, $"{notebook} ({frontend}) produced errors:\n{string.Join("\n", errors)}");

        var missing = new List<string>();
        foreach (var cell in nb.Cells)
        {
            if (cell.Source.Contains("Charts.") && !cell.Shows(o => IsChart(o, frontend))) missing.Add($"cell {cell.Index} calls Charts.* but shows no chart");
            if ((cell.Source.Contains("ImageGrid.Of") || cell.Source.Contains("ImageGallery.Of")) && !cell.Shows(IsImage)) missing.Add($"cell {cell.Index} makes an image but shows none");
            if ((cell.Source.Contains("Table.Of(") || cell.Source.Contains("SourceVsRun.Table(")) && !cell.Shows(IsTable)) missing.Add($"cell {cell.Index} makes a table but shows none");
        }
        Assert.True(missing.Count == 0, $"{notebook} ({frontend}):\n{string.Join("\n", missing)}");
        log.WriteLine($"{notebook} ({frontend}): {nb.Cells.Count} code cells, {nb.Cells.Count(c => c.Shows(o => IsChart(o, frontend)))} with charts");
    }

    [Theory]
    [MemberData(nameof(NotebooksByFrontend))]
    public void Ends_with_its_sources_beside_this_run(string frontend, string notebook)
    {
        var nb = runs.In(frontend)[notebook];
        var last = nb.Cells.Where(c => c.Outputs.Count > 0).TakeLast(2).ToList();
        Assert.Contains(last, c => c.Source.Contains("SourceVsRun.Table(") && c.Shows(o => IsTable(o) && o.Data["text/html"].Contains("the sources beside this run")));
    }

    [Theory]
    [InlineData("02-baseline-cnn")]
    [InlineData("03-resnet")]
    [InlineData("04-tricks")]
    [InlineData("06-fashion-mnist-lab")]
    [InlineData("07-eighty-twenty")]
    public void Training_notebooks_learn_above_chance(string notebook)
    {
        var accuracies = runs.In("jupyter")[notebook].TestAccuracies;
        Assert.NotEmpty(accuracies);
        Assert.True(accuracies.Max() > 15, $"{notebook}: best test accuracy {accuracies.Max()}% is not clearly above chance (10%)");
    }
}

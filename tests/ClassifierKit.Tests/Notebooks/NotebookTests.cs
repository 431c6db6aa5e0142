using ClassifierKit.Platform;
using System.Diagnostics;
using System.Text.Json;

namespace ClassifierKit.Tests.Notebooks;

/// <summary>Executes every notebook headless in the real .NET Interactive kernel (quick profile) and checks its outputs.</summary>
[Collection(nameof(NotebookTests))]
[CollectionDefinition(nameof(NotebookTests), DisableParallelization = true)]
public class NotebookTests
{
    public static TheoryData<string, int, int, int, bool> Notebooks => new()
    {
        // notebook, at least: image grids, Plotly charts, tables; trains (accuracy line expected)
        { "00-autograd-and-nn.ipynb", 0, 0, 1, false },
        { "01-data.ipynb", 2, 1, 1, false },
        { "02-baseline-cnn.ipynb", 1, 2, 1, true },
        { "03-resnet.ipynb", 0, 2, 1, true },
        { "04-tricks.ipynb", 2, 3, 1, true },
        { "05-gpu.ipynb", 0, 1, 1, false },
        { "06-fashion-mnist-lab.ipynb", 3, 2, 1, true },
        { "07-eighty-twenty.ipynb", 0, 1, 1, true },
    };

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_runs_clean_and_shows_its_outputs(string notebook, int images, int charts, int tables, bool trains)
    {
        var summary = Execute(notebook);

        Assert.True(summary.Errors.Length == 0, $"{notebook} produced errors:\n{string.Join("\n", summary.Errors)}");
        Assert.True(summary.Images >= images, $"{notebook}: expected at least {images} image grid(s), found {summary.Images}");
        Assert.True(summary.Charts >= charts, $"{notebook}: expected at least {charts} Plotly chart(s), found {summary.Charts}");
        Assert.True(summary.Tables >= tables, $"{notebook}: expected at least {tables} table(s), found {summary.Tables}");
        if (trains)
        {
            Assert.NotEmpty(summary.Accuracies);
            Assert.True(summary.Accuracies.Min() > 10, $"{notebook}: accuracy {summary.Accuracies.Min()}% is not above chance (10%)");
        }
    }

    sealed record Summary(string[] Errors, int Images, int Charts, int Tables, double[] Accuracies);

    static Summary Execute(string notebook)
    {
        var repo = Locations.RequireRepositoryRoot();
        var kernel = Path.Combine(repo, "notebooks", ".kernel", "kernels", ".net-csharp", "kernel.json");
        Assert.True(File.Exists(kernel), $"{kernel} is missing: run notebooks/setup first (it builds the library and the kernel bundle).");
        var outDir = Path.Combine(Path.GetTempPath(), "classifierkit-notebooks", Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { Path.Combine(repo, "notebooks", "execute.py"), "--out", outDir, "--timeout", "900",
                             Path.Combine(repo, "notebooks", notebook) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.Combine(repo, "notebooks"),
        };
        start.Environment["NOTEBOOK_PROFILE"] = "quick";
        start.Environment["JUPYTER_PATH"] = Path.Combine(repo, "notebooks", ".kernel");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var summaryFile = Path.Combine(outDir, notebook + ".summary.json");
        Assert.True(File.Exists(summaryFile), $"execute.py wrote no summary (exit {process.ExitCode}):\n{stdout}\n{stderr.Result}");
        using var json = JsonDocument.Parse(File.ReadAllText(summaryFile));
        var root = json.RootElement;
        return new Summary(
            root.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToArray(),
            root.GetProperty("images").GetInt32(),
            root.GetProperty("charts").GetInt32(),
            root.GetProperty("tables").GetInt32(),
            root.GetProperty("accuracies").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }
}

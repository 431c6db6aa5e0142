using System.Text.Json;
using Xunit.Abstractions;

namespace ClassifierKit.Tests.Notebooks;

/// <summary>
/// notebooks/execute.py, which every notebook test and notebooks/run-all rely on, reports a failing cell with the kernel's
/// own words (the exception's type and message) and counts it once, in both frontends; a clean notebook counts no error.
/// </summary>
[Collection(NotebookRuns.Name)]
[Trait("Tier", Tiers.Kernel)]
public class HeadlessRunnerTests(ITestOutputHelper log)
{
    static string Notebook(string dir, params string[] cells)
    {
        var nb = new
        {
            cells = cells.Select((c, i) => new { id = $"cell-{i}", cell_type = "code", execution_count = (int?)null, metadata = new { }, outputs = Array.Empty<object>(), source = c }),
            metadata = new { kernelspec = new { display_name = ".NET (C#)", language = "C#", name = ".net-csharp" } },
            nbformat = 4,
            nbformat_minor = 5,
        };
        var path = Path.Combine(dir, $"check-{Guid.NewGuid():N}.ipynb");
        File.WriteAllText(path, JsonSerializer.Serialize(nb));
        return path;
    }

    [Theory]
    [InlineData("jupyter")]
    [InlineData("vscode")]
    public void A_failing_cell_is_one_error_with_the_kernels_message_and_a_clean_notebook_none(string frontend)
    {
        // Inside the checkout (notebooks/output/ is ignored), where `dotnet interactive` finds the pinned kernel, as for a notebook.
        var dir = Path.Combine(NotebookRuns.Repo, "notebooks", "output", $"runner-check-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var failing = Notebook(dir, "Console.WriteLine(\"first cell ran\");",
                "throw new InvalidOperationException(\"the learner's cell broke: 6 x 7 = 41\");");
            var clean = Notebook(dir, "Console.WriteLine(6 * 7);");
            var (exit, output) = NotebookRuns.Run(NotebookRuns.Python,
                [Path.Combine(NotebookRuns.Repo, "notebooks", "execute.py"), "--out", Path.Combine(dir, "out"), "--timeout", "300", "--frontend", frontend, failing, clean],
                dir);
            log.WriteLine(output);
            Assert.Equal(1, exit);
            Assert.Contains("the learner's cell broke: 6 x 7 = 41", output);

            JsonElement Summary(string nb) =>
                JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", Path.GetFileName(nb) + ".summary.json"))).RootElement;
            var errors = Summary(failing).GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.True(errors.Count == 1, $"{frontend}: {errors.Count} errors counted for one failing cell:\n{string.Join("\n---\n", errors)}");
            Assert.Contains("InvalidOperationException", errors[0]);
            Assert.Contains("6 x 7 = 41", errors[0]);
            Assert.Empty(Summary(clean).GetProperty("errors").EnumerateArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClassifierKit.Platform;

namespace ClassifierKit.Tests.Notebooks;

/// <summary>
/// No result number is typed into prose: every percentage, duration, speed and speed ratio that the README or a notebook's
/// markdown states must be one of the numbers the registry holds, the sources' (notebooks/reference/) or a recorded run's
/// (notebooks/results/, tests/ClassifierKit.Benchmarks/results/), and the README's results table must be the one the records give.
/// </summary>
public class RegistryTests
{
    static string Repo => Locations.RequireRepositoryRoot();

    sealed record Stated(double Value, string Unit, int Decimals, string Where, string Text);

    // 53 %, 54.9%, 35 minutes, 1,148 s, 6:56, 1.76x, 87.9 images/s
    static readonly Regex Number = new(
        @"(?<![\w.,])(?<n>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?<d>\d+))?\s?(?<unit>%|x\b|×(?!\s?\d)|images/s\b|img/s\b|seconds\b|s\b|minutes\b|min\b|hours\b|h\b)" +
        @"|(?<![\w.:])(?<mm>\d{1,2}):(?<ss>\d{2})(?![\d:])");

    static IEnumerable<Stated> StatedIn(string text, string where)
    {
        // Code and the generated results and benchmark blocks are not prose.
        text = Regex.Replace(text, "```.*?```", "", RegexOptions.Singleline);
        text = Regex.Replace(text, "`[^`\n]*`", "");
        text = Regex.Replace(text, @"<!-- (results|benchmark):begin -->.*?<!-- \1:end -->", "", RegexOptions.Singleline);
        text = text.Replace("80:20", "");   // the blog's name (the Pareto ratio), not a clock time
        foreach (Match m in Number.Matches(text))
        {
            var context = text.Substring(Math.Max(0, m.Index - 40), Math.Min(text.Length - Math.Max(0, m.Index - 40), m.Length + 80)).Replace('\n', ' ');
            if (m.Groups["mm"].Success)
            {
                yield return new Stated(int.Parse(m.Groups["mm"].Value) * 60 + int.Parse(m.Groups["ss"].Value), "s", 0, where, context);
                continue;
            }
            var value = double.Parse(m.Groups["n"].Value.Replace(",", "") + (m.Groups["d"].Success ? "." + m.Groups["d"].Value : ""), CultureInfo.InvariantCulture);
            int decimals = m.Groups["d"].Success ? m.Groups["d"].Value.Length : 0;
            var (unit, factor) = m.Groups["unit"].Value switch
            {
                "%" => ("%", 1.0),
                "x" or "×" => ("x", 1.0),
                "images/s" or "img/s" => ("images/s", 1.0),
                "minutes" or "min" => ("s", 60.0),
                "hours" or "h" => ("s", 3600.0),
                _ => ("s", 1.0),
            };
            yield return new Stated(value * factor, unit, decimals, where, context) with { Decimals = decimals };
        }
    }

    /// <summary>Every number the registry holds, with its unit.</summary>
    static List<(double Value, string Unit, string From)> Registry()
    {
        var values = new List<(double, string, string)>();
        var files = Directory.GetFiles(Path.Combine(Repo, "notebooks", "reference"), "*.json")
            .Concat(Directory.GetFiles(Path.Combine(Repo, "notebooks", "results"), "*.json"));
        foreach (var file in files)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            if (doc.RootElement.TryGetProperty("WallSeconds", out var wall)) values.Add((wall.GetDouble(), "s", Path.GetFileName(file)));
            foreach (var v in doc.RootElement.GetProperty("Values").EnumerateArray())
                values.Add((v.GetProperty("Value").GetDouble(), v.GetProperty("Unit").GetString()!, Path.GetFileName(file)));
        }
        var benchmark = Path.Combine(Repo, "tests", "ClassifierKit.Benchmarks", "results", "compare-pytorch.json");
        if (File.Exists(benchmark)) values.AddRange(Numbers(JsonDocument.Parse(File.ReadAllText(benchmark)).RootElement).Select(n => (n, "any", "compare-pytorch.json")));
        return values;
    }

    static IEnumerable<double> Numbers(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => [e.GetDouble()],
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Numbers(p.Value)),
        JsonValueKind.Array => e.EnumerateArray().SelectMany(Numbers),
        _ => [],
    };

    static bool Backed(Stated s, List<(double Value, string Unit, string From)> registry)
    {
        // A stated number stands for any value that rounds to it at its shown precision (durations: to the shown unit).
        double half = s.Unit == "s" && s.Text.Contains(':') ? 0.5 : 0.5 * Math.Pow(10, -s.Decimals);
        if (s.Unit == "s" && !s.Text.Contains(':') && s.Value >= 60 && s.Decimals == 0) half = Math.Max(half, s.Value % 3600 == 0 ? 1800 : 30);
        return registry.Any(r => (r.Unit == s.Unit || r.Unit == "any" || (s.Unit == "x" && r.Unit == "")) && Math.Abs(r.Value - s.Value) <= half + 1e-9);
    }

    public static TheoryData<string> ProseFiles()
    {
        var data = new TheoryData<string> { "README.md" };
        foreach (var nb in Directory.GetFiles(Path.Combine(Locations.RequireRepositoryRoot(), "notebooks"), "*.ipynb").Order())
            data.Add(Path.GetRelativePath(Locations.RequireRepositoryRoot(), nb));
        return data;
    }

    static string Prose(string relative)
    {
        var path = Path.Combine(Repo, relative);
        if (!relative.EndsWith(".ipynb")) return File.ReadAllText(path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return string.Join("\n\n", doc.RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "markdown")
            .Select(c => c.GetProperty("source") is { ValueKind: JsonValueKind.Array } a ? string.Concat(a.EnumerateArray().Select(x => x.GetString())) : c.GetProperty("source").GetString()));
    }

    [Theory]
    [MemberData(nameof(ProseFiles))]
    public void Every_result_number_in_the_prose_is_in_the_registry(string file)
    {
        var registry = Registry();
        var unbacked = StatedIn(Prose(file), file).Where(s => !Backed(s, registry)).Select(s => $"{s.Value:G6} {s.Unit} in \"…{s.Text.Trim()}…\"").ToList();
        Assert.True(unbacked.Count == 0, $"{file} states numbers that neither notebooks/reference/ nor the recorded results hold:\n" + string.Join("\n", unbacked));
    }

    [Fact]
    public void A_typed_in_number_is_caught()
    {
        var registry = new List<(double, string, string)> { (54.93, "%", "results") };
        Assert.True(Backed(StatedIn("the baseline reached 54.9 % here", "t").Single(), registry));
        Assert.False(Backed(StatedIn("the baseline reached 56 % here", "t").Single(), registry));
        Assert.Equal(416, StatedIn("80% at 6:56", "t").Last().Value);
        Assert.Equal(2100, StatedIn("about 35 minutes", "t").Single().Value);
        Assert.Empty(StatedIn("16 maps of 5×5, the 80:20 post", "t"));   // sizes and the blog's name are not results
        Assert.Equal(1.76, StatedIn("1.76× float32", "t").Single().Value);
    }

    [Fact]
    public void The_readme_benchmark_block_is_the_comparison_run_file()
    {
        // The block is left out of the prose check above, so it must be the file compare-pytorch wrote, untouched.
        var readme = File.ReadAllText(Path.Combine(Repo, "README.md"));
        var block = Regex.Match(readme, "<!-- benchmark:begin -->(.*?)<!-- benchmark:end -->", RegexOptions.Singleline).Groups[1].Value.Trim();
        var file = File.ReadAllText(Path.Combine(Repo, "tests", "ClassifierKit.Benchmarks", "results", "compare-pytorch.md")).Trim();
        var expected = Regex.Replace(file, @"\A# [^\n]*\n", "").Trim();   // the file's own heading; the README section has one
        Assert.True(block.Length > 0 && block == expected,
            "README.md's benchmark block differs from tests/ClassifierKit.Benchmarks/results/compare-pytorch.md: paste the file (without its heading)");
    }

    [Fact]
    public void The_readme_results_table_is_the_one_the_records_give()
    {
        var (exit, output) = NotebookRuns.Run(NotebookRuns.Python, [Path.Combine(Repo, "notebooks", "results_table.py"), "--check", Path.Combine(Repo, "README.md")], Repo);
        Assert.True(exit == 0, output);
    }
}

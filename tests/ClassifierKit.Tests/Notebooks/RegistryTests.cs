using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClassifierKit.Platform;

namespace ClassifierKit.Tests.Notebooks;

/// <summary>
/// No result number is typed into prose: every percentage, duration, speed and speed ratio that the README or a notebook's
/// markdown states, in digits ("84 minutes", "5:23", "1.8x", "2.5 times") or in words ("an hour", "twice as fast"), names
/// the record it quotes in an HTML comment right after it, which a reader does not see:
/// <c>5,062 s&lt;!-- 07-eighty-twenty WallSeconds --&gt;</c>, <c>73%&lt;!-- 07-eighty-twenty blog.resnet18.accuracy --&gt;</c>,
/// <c>2.5 times&lt;!-- 07-eighty-twenty airbench.3.f32.seconds / airbench.3.bf16.seconds --&gt;</c>. The key is looked up in
/// the notebook's recorded results (notebooks/results/) and then in its sources' numbers (notebooks/reference/); the number
/// must be that value at the precision it is shown with. The README's results table must be the one the records give.
/// </summary>
public class RegistryTests
{
    static string Repo => Locations.RequireRepositoryRoot();

    sealed record Stated(double Value, string Unit, double Half, string Where, string Text, string? Quotes);

    const string Quote = @"(?:\s*<!--\s*(?<quote>[^>]*?)\s*-->)?";

    // 53 %, 54.9%, 35 minutes, 1,148 s, 6:56, 1.76x, 2.5 times, 87.9 images/s, an hour, twice as fast, forty minutes
    static readonly Regex Number = new(
        @"(?<![\w.,])(?<n>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?<d>\d+))?\s?(?<unit>%|x\b|×(?!\s?\d)|times\b(?=(?:\s*<!--[^>]*-->)?\s(?:as fast|faster|slower|as long|longer|as slow|quicker))|images/s\b|img/s\b|seconds\b|s\b|minutes\b|min\b|hours\b|h\b)" + Quote +
        @"|(?<![\w.:])(?<mm>\d{1,2}):(?<ss>\d{2})(?![\d:])" + Quote +
        @"|\b(?<word>half an hour|an hour and a half|an hour|a minute|twice as (?:fast|slow|long)|(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty) (?:times (?:as fast|faster|slower|as long|longer)|minutes|hours|seconds))\b" + Quote,
        RegexOptions.IgnoreCase);

    static readonly string[] Words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];

    static (double Value, string Unit) InWords(string phrase)
    {
        phrase = phrase.ToLowerInvariant();
        if (phrase == "half an hour") return (1800, "s");
        if (phrase == "an hour and a half") return (5400, "s");
        if (phrase == "an hour") return (3600, "s");
        if (phrase == "a minute") return (60, "s");
        if (phrase.StartsWith("twice")) return (2, "x");
        var first = phrase.Split(' ')[0];
        double n = Array.IndexOf(Words, first) is var i and >= 0 ? i : first switch { "twenty" => 20, "thirty" => 30, "forty" => 40, _ => 50 };
        return phrase.Contains("times") ? (n, "x") : phrase.Contains("hour") ? (n * 3600, "s") : phrase.Contains("minute") ? (n * 60, "s") : (n, "s");
    }

    static IEnumerable<Stated> StatedIn(string text, string where)
    {
        // Code and the generated results and benchmark blocks are not prose.
        text = Regex.Replace(text, "```.*?```", "", RegexOptions.Singleline);
        text = Regex.Replace(text, "`[^`\n]*`", "");
        text = Regex.Replace(text, @"<!-- (results|benchmark):begin -->.*?<!-- \1:end -->", "", RegexOptions.Singleline);
        text = Regex.Replace(text, @"\$\$.*?\$\$|\$[^$\n]*\$", "", RegexOptions.Singleline);   // formulas: $3x^2$ is no ratio
        text = text.Replace("80:20", "");   // the blog's name (the Pareto ratio), not a clock time
        foreach (Match m in Number.Matches(text))
        {
            var context = text.Substring(Math.Max(0, m.Index - 40), Math.Min(text.Length - Math.Max(0, m.Index - 40), m.Length + 80)).Replace('\n', ' ');
            var quote = m.Groups["quote"].Success ? m.Groups["quote"].Value : null;
            if (m.Groups["mm"].Success)
            {
                yield return new Stated(int.Parse(m.Groups["mm"].Value) * 60 + int.Parse(m.Groups["ss"].Value), "s", 0.5, where, context, quote);
                continue;
            }
            if (m.Groups["word"].Success)
            {
                // A number in words is a round figure: "an hour" stands for 45 to 75 minutes, "twice" for 1.75 to 2.25.
                var (v, u) = InWords(m.Groups["word"].Value);
                yield return new Stated(v, u, u == "x" ? 0.25 : Math.Max(30, v / 4), where, context, quote);
                continue;
            }
            var value = double.Parse(m.Groups["n"].Value.Replace(",", "") + (m.Groups["d"].Success ? "." + m.Groups["d"].Value : ""), CultureInfo.InvariantCulture);
            int decimals = m.Groups["d"].Success ? m.Groups["d"].Value.Length : 0;
            var (unit, factor) = m.Groups["unit"].Value switch
            {
                "%" => ("%", 1.0),
                "x" or "×" or "times" => ("x", 1.0),
                "images/s" or "img/s" => ("images/s", 1.0),
                "minutes" or "min" => ("s", 60.0),
                "hours" or "h" => ("s", 3600.0),
                _ => ("s", 1.0),
            };
            // A stated number stands for any value that rounds to it at its shown precision (whole minutes and hours: to the unit).
            var half = 0.5 * Math.Pow(10, -decimals) * factor;
            yield return new Stated(value * factor, unit, half, where, context, quote);
        }
    }

    /// <summary>A record's value by "notebook key" (results first, then the sources' numbers), or "notebook a / b" for a ratio.</summary>
    static double? Quoted(string quote)
    {
        var parts = quote.Split(' ', 2, StringSplitOptions.TrimEntries);
        if (parts.Length < 2) return null;
        var keys = parts[1].Split('/', StringSplitOptions.TrimEntries);
        var values = keys.Select(k => Lookup(parts[0], k)).ToList();
        if (values.Any(v => v is null)) return null;
        return values.Count == 1 ? values[0] : values.Count == 2 ? values[0] / values[1] : null;
    }

    // Every record's values by key, read once per file: the README and the notebooks quote the same few records many times.
    static readonly ConcurrentDictionary<string, Dictionary<string, double>?> Records = new();

    static double? Lookup(string notebook, string key)
    {
        foreach (var folder in new[] { "results", "reference" })
            if (Records.GetOrAdd(Path.Combine(Repo, "notebooks", folder, notebook + ".json"), ReadRecord) is { } values && values.TryGetValue(key, out var v))
                return v;
        return null;
    }

    static Dictionary<string, double>? ReadRecord(string file)
    {
        if (!File.Exists(file)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var values = doc.RootElement.GetProperty("Values").EnumerateArray()
            .GroupBy(v => v.GetProperty("Key").GetString()!).ToDictionary(g => g.Key, g => g.Last().GetProperty("Value").GetDouble());
        if (doc.RootElement.TryGetProperty("WallSeconds", out var wall)) values["WallSeconds"] = wall.GetDouble();
        return values;
    }

    /// <summary>Null when the number is the value of the record it quotes; otherwise what is wrong.</summary>
    static string? Problem(Stated s, Func<string, double?> quoted)
    {
        if (s.Quotes is null) return "names no record: add <!-- notebook key --> right after it";
        var value = quoted(s.Quotes);
        if (value is null) return $"quotes <!-- {s.Quotes} -->, which no record holds";
        return Math.Abs(value.Value - s.Value) <= s.Half + 1e-9 ? null : $"quotes <!-- {s.Quotes} -->, whose value is {value.Value:G6}";
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
    public void Every_result_number_in_the_prose_quotes_the_record_it_comes_from(string file)
    {
        var wrong = StatedIn(Prose(file), file).Select(s => (s, problem: Problem(s, Quoted))).Where(x => x.problem is not null)
            .Select(x => $"{x.s.Value:G6} {x.s.Unit} in \"…{x.s.Text.Trim()}…\" {x.problem}").ToList();
        Assert.True(wrong.Count == 0, $"{file} states numbers that are not the record they quote (notebooks/results/, notebooks/reference/):\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void A_typed_in_or_misquoted_number_is_caught()
    {
        double? Record(string quote) => quote switch { "nb acc" => 54.93, "nb wall" => 5062, "nb fast / slow" => 806.0 / 323, _ => null };
        string? Check(string prose) => Problem(StatedIn(prose, "t").Single(), Record);
        Assert.Null(Check("the baseline reached 54.9 %<!-- nb acc --> here"));
        Assert.Contains("whose value is 54.93", Check("the baseline reached 56 %<!-- nb acc --> here"));
        Assert.Contains("names no record", Check("the baseline reached 54.9 % here"));
        Assert.Contains("which no record holds", Check("the baseline reached 54.9 %<!-- nb other --> here"));
        Assert.Null(Check("it took about 84 minutes<!-- nb wall -->"));
        Assert.NotNull(Check("it took about 80 minutes<!-- nb wall -->"));
        Assert.Null(Check("it took 84:22<!-- nb wall -->"));
        Assert.Null(Check("bfloat16 is 2.5 times<!-- nb fast / slow --> as fast"));
        Assert.NotNull(Check("bfloat16 is about 1.8 times<!-- nb fast / slow --> as fast"));
        Assert.Contains("whose value is 5062", Check("the run took about an hour<!-- nb wall -->"));   // 84 minutes is not "an hour"
        Assert.Null(Check("the run took an hour and a half<!-- nb wall -->"));
        Assert.Contains("names no record", Check("twice as fast on this machine"));
        Assert.Contains("names no record", Check("a good half an hour"));
        Assert.Equal(416, StatedIn("80% at 6:56", "t").Last().Value);
        Assert.Equal(2100, StatedIn("about 35 minutes", "t").Single().Value);
        Assert.Empty(StatedIn("16 maps of 5×5, the 80:20 post, a 3x3 kernel, $3x^2$, backward runs twice, 2 times more data, biases at 64 times the rate", "t"));
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

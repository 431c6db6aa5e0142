using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClassifierKit.Tests.Notebooks;

/// <summary>An executed .ipynb: each code cell's source and outputs, read from the file execute.py wrote.</summary>
public sealed class ExecutedNotebook
{
    public sealed record Output(string Type, IReadOnlyDictionary<string, string> Data, string Text);
    public sealed record Cell(int Index, string Source, IReadOnlyList<Output> Outputs)
    {
        public IEnumerable<string> Errors => Outputs.Where(o => o.Type == "error").Select(o => o.Text)
            .Concat(Outputs.Where(o => o.Type == "stream" && o.Text.Contains("Exception")).Select(o => o.Text));
        public bool Shows(Func<Output, bool> what) => Outputs.Any(what);
    }

    public string Path { get; }
    public IReadOnlyList<Cell> Cells { get; }

    public ExecutedNotebook(string path)
    {
        Path = path;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        Cells = doc.RootElement.GetProperty("cells").EnumerateArray()
            .Select((c, i) => (c, i))
            .Where(x => x.c.GetProperty("cell_type").GetString() == "code")
            .Select(x => new Cell(x.i, Text(x.c.GetProperty("source")),
                x.c.GetProperty("outputs").EnumerateArray().Select(ReadOutput).ToList()))
            .ToList();
    }

    static Output ReadOutput(JsonElement o)
    {
        var type = o.GetProperty("output_type").GetString()!;
        var data = o.TryGetProperty("data", out var d)
            ? d.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String || p.Value.ValueKind == JsonValueKind.Array ? Text(p.Value) : p.Value.GetRawText())
            : new Dictionary<string, string>();
        var text = type switch
        {
            "stream" => Text(o.GetProperty("text")),
            "error" => $"{o.GetProperty("ename").GetString()}: {o.GetProperty("evalue").GetString()}",
            _ => data.GetValueOrDefault("text/plain", ""),
        };
        return new Output(type, data, text);
    }

    static string Text(JsonElement e) => e.ValueKind == JsonValueKind.Array ? string.Concat(e.EnumerateArray().Select(x => x.GetString())) : e.GetString() ?? "";

    /// <summary>Every stream line the notebook printed.</summary>
    public IEnumerable<string> PrintedLines => Cells.SelectMany(c => c.Outputs).Where(o => o.Type == "stream").SelectMany(o => o.Text.Split('\n'));

    /// <summary>Test accuracies (in %) the notebook printed, in the blog's or the trainer's words.</summary>
    public IReadOnlyList<double> TestAccuracies => PrintedLines
        .SelectMany(l => Regex.Matches(l, @"(?:Accuracy of the network on the [\d,]+ test images: |test accuracy )(\d+(?:\.\d+)?) ?%").Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
        .ToList();
}

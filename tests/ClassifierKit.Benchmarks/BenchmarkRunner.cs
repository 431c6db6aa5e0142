using System.Globalization;
using System.Runtime.InteropServices;
using ClassifierKit.Platform;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>What a run produced: the rows, the memory check (when it ran), the printed table and where the markdown went.</summary>
public sealed record BenchmarkReport(IReadOnlyList<RowResult> Rows, MemoryResult? Memory, string Table, string? MarkdownPath);

/// <summary>Runs the selected rows in order, then the flat-memory check, and prints the table and the targets.</summary>
public static class BenchmarkRunner
{
    public static BenchmarkReport Run(BenchmarkOptions o, TextWriter output)
    {
        void Say(string line) => output.WriteLine(line);
        if (o.Threads is { } threads) set_num_threads(threads);
        if (o.ReuseMemory) Say($"allocator: freed tensor memory reused ({(CpuMemory.ReuseFreedMemory() ? "on" : "not available here")})");
        else Say("allocator: glibc defaults");
        var device = o.Cpu ? CPU : Devices.Best();
        var header = Header(o, device);
        foreach (var line in header) Say(line);

        var rows = new List<RowResult>();
        MemoryResult? memory = null;
        using (var data = new BenchmarkData(o.Quick, Say))
        {
            var cases = o.SelectedCases;
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                var ds = data.Get(c.Split);
                var r = CaseRunner.Run(c, ds, device, o, Say);
                rows.Add(r);
                Say($"[{i + 1}/{cases.Count}] {c.Id}: {Report.Rate(r.MedianImagesPerSecond)} images/s, {Report.Ms(r.StepMs)} ms/step " +
                    $"({r.Repeats.Count} x {r.Repeats[0].Steps} steps after {r.WarmupSteps} warm-up)");
            }
            if (o.RunsMemoryCheck)
            {
                Say($"memory check: Net @4 for {o.MemorySteps:N0} steps ...");
                memory = MemoryCheck.Run(o.MemorySteps, data.Get(DataSplit.CifarTrain), device, Say);
            }
        }

        var table = Report.Table(rows);
        var targets = Report.Targets(rows, memory).ToList();
        var footer = $"load average at the end: {LoadAverage()}";
        Say("");
        output.Write(table);
        Say("");
        foreach (var t in targets) Say(t);
        Say(footer);

        var path = o.MarkdownPath ?? Path.Combine(RepoRoot(), "benchmark-results", "latest.md");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var md = new List<string> { "# ClassifierKit benchmark", "" };
            md.AddRange(header.Select(h => "    " + h));
            md.Add("");
            md.Add(Report.MarkdownTable(rows));
            md.AddRange(targets.Select(t => "- " + t));
            md.Add("- " + footer);
            File.WriteAllLines(path, md);
            Say($"markdown: {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Say($"markdown: could not write {path}: {e.Message}");
            path = null;
        }
        return new BenchmarkReport(rows, memory, table, path);
    }

    static List<string> Header(BenchmarkOptions o, Device device) =>
    [
        $"ClassifierKit benchmark, {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC, {(o.Quick ? "QUICK setting (not a measurement)" : "full setting")}",
        $"machine: {Environment.MachineName}, {CpuModel()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}",
        $"device: {Devices.Describe(device)}; oneDNN switch {(OneDnn.Available ? "available" : "unavailable")}",
        $"repeats: {o.Repeats}, steps/warm-up: {(o.Steps?.ToString(CultureInfo.InvariantCulture) ?? (o.Quick ? "2" : "per row"))}/{(o.Warmup?.ToString(CultureInfo.InvariantCulture) ?? (o.Quick ? "1" : "per row"))}, load average at the start: {LoadAverage()}",
    ];

    static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
    }

    /// <summary>The repository root (where benchmark-results/ goes), else the working directory.</summary>
    public static string RepoRoot() => Locations.RepositoryRoot ?? Directory.GetCurrentDirectory();
}

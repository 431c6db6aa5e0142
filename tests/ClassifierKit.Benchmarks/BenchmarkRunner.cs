using System.Globalization;
using System.Runtime.InteropServices;
using ClassifierKit.Platform;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>What a run produced: the GEMM peaks, the rows, the rows that failed, the memory check (when it ran), the printed
/// table, the target lines and where the files went.</summary>
public sealed record BenchmarkReport(IReadOnlyList<GemmResult> Gemms, IReadOnlyList<RowResult> Rows, IReadOnlyList<RowFailure> Failures,
    MemoryResult? Memory, string Table, IReadOnlyList<string> Targets, string? MarkdownPath, string? JsonPath);

/// <summary>Runs the GEMM peak rows, then the selected rows in order, then the flat-memory check, and prints the tables and the targets.</summary>
public static class BenchmarkRunner
{
    public static BenchmarkReport Run(BenchmarkOptions o, TextWriter output)
    {
        void Say(string line) => output.WriteLine(line);
        if (o.Threads is { } threads) set_num_threads(threads);
        // First, before any float32 matrix product: MKL decides once per process (as Trainer.Fit and the notebooks do).
        Say($"MKL: {MklDispatch.Describe(o.MklAsShipped ? MklDispatch.State : MklDispatch.ByCpuFeatures())}");
        if (o.ReuseMemory) Say($"allocator: freed tensor memory reused ({(CpuMemory.ReuseFreedMemory() ? "on" : "not available here")})");
        else Say("allocator: glibc defaults");
        var device = o.Cpu ? CPU : Devices.Best();
        var loadAtStart = Machine.LoadAverage();
        // Read first: a damaged record stops the run before it measures anything, not after.
        var peakRecordPath = o.PeaksPath ?? PeakRecord.DefaultPath;
        var peakRecord = PeakRecord.Load(peakRecordPath);
        var header = Header(o, device, loadAtStart);
        foreach (var line in header) Say(line);

        // The peaks first, while nothing else has touched the caches or the allocator.
        var gemms = new List<GemmResult>();
        // A full run takes one more repeat after each table row, and enough first to make at least PeakRecord.MinRepeats.
        int firstRepeats = o.Quick ? o.Repeats : Math.Max(o.Repeats, PeakRecord.MinRepeats - o.SelectedCases.Count);
        foreach (var id in o.SelectedGemms)
        {
            var g = GemmPeak.Run(id, o, device, firstRepeats);
            gemms.Add(g);
            Say($"{id}: {Report.Gflops(g.MedianGflops)} GFLOP/s ({g.DType} {g.N}x{g.N}, {g.GflopsPerRepeat.Count} x {g.ProductsPerRepeat} products)");
        }

        var rows = new List<RowResult>();
        var failures = new List<RowFailure>();
        MemoryResult? memory = null;
        using (var data = new BenchmarkData(o.Quick, Say))
        {
            var cases = o.SelectedCases;
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                var ds = data.Get(c.Split);
                RowResult r;
                try
                {
                    r = CaseRunner.Run(c, ds, device, o, Say) with { FlopPerImage = ModelFlops.PerImage(c, ds.Images.shape[1..]) };
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    failures.Add(new RowFailure(c, e));
                    Say($"[{i + 1}/{cases.Count}] {failures[^1].Line}");
                    continue;
                }
                rows.Add(r);
                Say($"[{i + 1}/{cases.Count}] {c.Id}: {Report.Rate(r.MedianImagesPerSecond)} images/s, {Report.Ms(r.StepMs)} ms/step " +
                    $"({r.Repeats.Count} x {r.Repeats[0].Steps} steps after {r.WarmupSteps} warm-up)");
                // One more GEMM repeat after each row: the peak is the best of repeats spread over the run (PeakRecord).
                if (!o.Quick)
                    for (int g = 0; g < gemms.Count; g++) gemms[g] = GemmPeak.AddRepeat(gemms[g], o, device);
            }
            if (o.RunsMemoryCheck)
            {
                Say($"memory check: Net @4 for {o.MemorySteps:N0} steps ...");
                memory = MemoryCheck.Run(o.MemorySteps, data.Get(DataSplit.CifarTrain), device, Say);
            }
        }

        var peaks = Peaks(o, peakRecord, peakRecordPath, gemms, Say);
        var gemmTable = gemms.Count > 0 ? Report.GemmTable(gemms) : "";
        var table = Report.Table(rows, peaks);
        var targets = Targets.Lines(rows, peaks, memory).ToList();
        var loadAtEnd = Machine.LoadAverage();
        var footer = $"load average at the end: {loadAtEnd}";
        Say("");
        if (gemms.Count > 0)
        {
            output.Write(gemmTable);
            Say("");
        }
        output.Write(table);
        foreach (var f in failures) Say(f.Line);
        Say("");
        foreach (var t in targets) Say(t);
        Say(footer);

        var markdown = new List<string> { "# ClassifierKit benchmark", "" };
        markdown.AddRange(header.Select(h => "    " + h));
        markdown.Add("");
        if (gemms.Count > 0) markdown.Add(Report.GemmMarkdownTable(gemms));
        markdown.Add(Report.MarkdownTable(rows, peaks));
        markdown.AddRange(failures.Select(f => "- " + f.Line));
        markdown.AddRange(targets.Select(t => "- " + t));
        markdown.Add("- " + footer);
        var mdPath = TryWrite("markdown", o.MarkdownPath ?? Path.Combine(RepoRoot(), "benchmark-results", "latest.md"),
            p => File.WriteAllLines(p, markdown), Say);
        var jsonPath = o.JsonPath is null ? null : TryWrite("json", o.JsonPath,
            p => JsonReport.Write(p, JsonReport.Build(o, Devices.Describe(device), rows, failures, gemms, peaks, targets, memory, (loadAtStart, loadAtEnd))), Say);
        return new BenchmarkReport(gemms, rows, failures, memory, table, targets, mdPath, jsonPath);
    }

    /// <summary>
    /// Offers this run's GEMM rows to the CPU's peak record (a full run, each row's own products per repeat; written when a
    /// row beat it) and returns, per dtype, the peak the rows' shares divide by.
    /// </summary>
    static Dictionary<string, PeakReference> Peaks(BenchmarkOptions o, PeakRecord record, string path, IReadOnlyList<GemmResult> gemms, Action<string> say)
    {
        string cpu = Machine.CpuSignature();
        int threads = Machine.Threads(), n = o.Quick ? GemmPeak.QuickN : GemmPeak.FullN;
        if (!o.Quick && o.Steps is null)
        {
            var old = gemms.ToDictionary(g => g.Id, g => record.Find(cpu, threads, g.DType, g.N));
            var raised = gemms.Select(g => (g, entry: record.Offer(g, cpu, threads, DateTime.UtcNow, Machine.LibTorchVersion()))).Where(x => x.entry is not null).ToList();
            if (raised.Count > 0)
            {
                TryWrite("gemm peak record", path, record.Save, say);
                foreach (var (g, entry) in raised)
                    say($"  {entry!.DType} on this CPU: {Report.Gflops(entry.Gflops)} GFLOP/s, best of {entry.Repeats} repeats" +
                        (old[g.Id] is { } was ? $" (was {Report.Gflops(was.Gflops)}, {was.Date})" : " (first record)") + "; commit the file to keep it");
            }
        }
        var peaks = new Dictionary<string, PeakReference>();
        foreach (var dtype in new[] { "float32", "bfloat16" })
            if (record.Reference(dtype, gemms.FirstOrDefault(g => g.DType == dtype), cpu, threads, n) is { } peak) peaks[dtype] = peak;
        return peaks;
    }

    static string? TryWrite(string what, string path, Action<string> write, Action<string> say)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            write(path);
            say($"{what}: {path}");
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            say($"{what}: could not write {path}: {e.Message}");
            return null;
        }
    }

    static List<string> Header(BenchmarkOptions o, Device device, string loadAverage) =>
    [
        $"ClassifierKit benchmark, {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC, {(o.Quick ? "QUICK setting (not a measurement)" : "full setting")}",
        $"machine: {Environment.MachineName}, {Cpu.Model} ({Cpu.Features}), {Environment.ProcessorCount} logical cores, {Machine.MemoryGiB():F1} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}",
        $"TorchSharp {Machine.TorchSharpVersion()} on libtorch {Machine.LibTorchVersion()}, {Machine.Threads()} threads; device: {Devices.Describe(device)}; oneDNN switch {(OneDnn.Available ? "available" : "unavailable")}",
        OneDnn.Available ? OneDnn.Describe() : "oneDNN bugs: not probed (no switch)",
        $"repeats: {o.Repeats}, steps/warm-up: {(o.Steps?.ToString(CultureInfo.InvariantCulture) ?? (o.Quick ? "2" : "per row"))}/{(o.Warmup?.ToString(CultureInfo.InvariantCulture) ?? (o.Quick ? "1" : "per row"))}, load average at the start: {loadAverage}",
    ];

    /// <summary>The repository root (where benchmark-results/ goes), else the working directory.</summary>
    public static string RepoRoot() => Locations.RepositoryRoot ?? Directory.GetCurrentDirectory();
}

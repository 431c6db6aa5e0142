using ClassifierKit.Platform;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClassifierKit.Training;

namespace ClassifierKit.Benchmarks;

/// <summary>
/// The run as JSON (--json PATH), for compare-pytorch to merge with the PyTorch twin's: each row's id, unit, median and
/// min-max, per-repeat values, steps and warm-up, plus the machine and versions. Both sides write the same row fields.
/// </summary>
public static class JsonReport
{
    public static JsonObject Build(BenchmarkOptions o, string device, IReadOnlyList<RowResult> rows, IReadOnlyList<RowFailure> failures, IReadOnlyList<GemmResult> gemms,
        IReadOnlyDictionary<string, PeakReference> peaks, IReadOnlyList<string> targets, MemoryResult? memory, (string Start, string End) loadAverage)
    {
        var rowNodes = new JsonArray();
        foreach (var g in gemms)
            rowNodes.Add(new JsonObject
            {
                ["id"] = g.Id, ["name"] = $"GEMM {g.DType} {g.N}x{g.N}", ["unit"] = "GFLOP/s",
                ["median"] = g.MedianGflops, ["min"] = g.MinGflops, ["max"] = g.MaxGflops, ["values"] = Array(g.GflopsPerRepeat),
                ["n"] = g.N, ["steps"] = g.ProductsPerRepeat,
            });
        foreach (var r in rows)
        {
            var c = r.Case;
            var node = new JsonObject
            {
                ["id"] = c.Id, ["name"] = $"{c.Model} @{c.BatchSize} {c.PhaseName}", ["unit"] = "images/s",
                ["median"] = r.MedianImagesPerSecond, ["min"] = r.MinImagesPerSecond, ["max"] = r.MaxImagesPerSecond,
                ["values"] = Array(r.Repeats.Select(x => x.ImagesPerSecond)),
                ["model"] = c.Model, ["batch"] = c.BatchSize, ["phase"] = c.PhaseName,
                ["precision"] = c.Precision == Precision.BFloat16 ? "bfloat16" : "float32",
                ["steps"] = r.Repeats[0].Steps, ["warmup"] = r.WarmupSteps, ["step_ms"] = r.StepMs,
                ["gflop_per_image"] = r.FlopPerImage / 1e9, ["gflops"] = r.Gflops,
                ["peak_rss_bytes"] = r.PeakResidentBytes,
            };
            if (r.HasParts)
            {
                node["data_ms"] = r.DataMs;
                node["fwd_ms"] = r.ForwardMs;
                if (c.Trains) { node["bwd_ms"] = r.BackwardMs; node["opt_ms"] = r.OptimizerMs; }
            }
            if (Report.PeakFor(r, peaks) is { } peak && r.FlopPerImage > 0) node["peak_fraction"] = r.Gflops / peak.Gflops;
            rowNodes.Add(node);
        }
        foreach (var f in failures)
            rowNodes.Add(new JsonObject
            {
                ["id"] = f.Case.Id, ["name"] = $"{f.Case.Model} @{f.Case.BatchSize} {f.Case.PhaseName}", ["unit"] = "images/s", ["error"] = f.Line,
            });
        return new JsonObject
        {
            ["tool"] = "ClassifierKit",
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["setting"] = o.Quick ? "quick" : "full",
            ["machine"] = new JsonObject
            {
                ["cpu"] = Cpu.Model, ["features"] = Cpu.Features, ["cores"] = Environment.ProcessorCount,
                ["memory_gib"] = Math.Round(Machine.MemoryGiB(), 1), ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            },
            ["device"] = device,
            ["versions"] = new JsonObject
            {
                ["torchsharp"] = Machine.TorchSharpVersion(), ["libtorch"] = Machine.LibTorchVersion(), ["dotnet"] = Environment.Version.ToString(),
            },
            ["threads"] = Machine.Threads(),
            ["allocator"] = o.ReuseMemory ? "freed memory reused (CpuMemory.ReuseFreedMemory)" : "glibc defaults",
            // every CPU row flushed them (Workload); asking again reports whether this CPU could
            ["denormals"] = Denormals.FlushToZero() ? "flushed to zero (as Trainer.Fit)" : "kept (this CPU cannot flush them)",
            ["mkl"] = MklDispatch.Describe(MklDispatch.State),
            ["repeats"] = o.Repeats,
            // 1, 5 and 15 minute load averages: well above the thread count means a neighbour ran too and the numbers are not worth keeping
            ["load_average"] = new JsonObject { ["start"] = loadAverage.Start, ["end"] = loadAverage.End },
            ["rows"] = rowNodes,
            // what the rows' peak_fraction divides by, per dtype (PeakRecord)
            ["peaks"] = new JsonObject(peaks.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)new JsonObject { ["gflops"] = p.Value.Gflops, ["source"] = p.Value.Source }))),
            ["targets"] = Array(targets),
            ["memory"] = memory is null ? null : new JsonObject
            {
                ["steps"] = memory.Steps, ["early_bytes"] = memory.EarlyBytes, ["late_bytes"] = memory.LateBytes, ["ratio"] = memory.Ratio,
            },
        };
    }

    public static void Write(string path, JsonObject report)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    static JsonArray Array<T>(IEnumerable<T> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}

using ClassifierKit.Data;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>Resident memory of a long Net @4 run through the real loader path, read after Steps/10 and after Steps steps.</summary>
public sealed record MemoryResult(int Steps, int EarlySteps, long EarlyBytes, long LateBytes)
{
    /// <summary>Late over early resident memory (target: within 5%, i.e. at most 1.05).</summary>
    public double Ratio => (double)LateBytes / EarlyBytes;
}

/// <summary>The flat-memory check: trains the <c>net4</c> row's workload for many steps and compares RSS early and late.</summary>
public static class MemoryCheck
{
    public static MemoryResult Run(int steps, ImageDataset data, Device device, Action<string> report)
    {
        var c = BenchmarkCase.Catalog.Single(x => x.Id == "net4");
        int early = steps / 10;
        long earlyBytes = 0;
        var timer = new PhaseTimer(device);
        using var work = new Workload(c, data, device, seed: 2, report);
        timer.Restart();
        for (int i = 1; i <= steps; i++)
        {
            work.Step(timer);
            if (i == early) earlyBytes = ProcessMemory.ResidentBytes();
        }
        return new MemoryResult(steps, early, earlyBytes, ProcessMemory.ResidentBytes());
    }
}

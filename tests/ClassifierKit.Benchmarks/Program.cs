using ClassifierKit.Benchmarks;

// Stopwatch benchmark of the library's training and evaluation paths; see README.md next to this file.
try
{
    var options = BenchmarkOptions.Parse(args, out var list, out var help);
    if (help)
    {
        Console.WriteLine(BenchmarkOptions.Usage);
        return 0;
    }
    if (list)
    {
        foreach (var id in GemmPeak.Ids)
            Console.WriteLine($"{id,-14} GEMM peak: {(id == "gemmbf16" ? "bfloat16" : "float32")} {GemmPeak.FullN}x{GemmPeak.FullN} torch.mm, GFLOP/s");
        foreach (var c in BenchmarkCase.Catalog)
            Console.WriteLine($"{c.Id,-14} {c.Model} @{c.BatchSize} {c.PhaseName}, {c.StepsPerRepeat} steps/repeat, {c.WarmupSteps} warm-up");
        Console.WriteLine($"{BenchmarkOptions.MemoryRow,-14} flat-memory check (Net @4 for --memory-steps steps)");
        return 0;
    }
    BenchmarkRunner.Run(options, Console.Out);
    return 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

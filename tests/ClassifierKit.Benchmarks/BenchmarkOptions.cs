using System.Globalization;

namespace ClassifierKit.Benchmarks;

/// <summary>Command-line settings of a benchmark run.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Tiny setting for CI: 1 repeat, 1 warm-up step, 2 steps per repeat, small data subsets, 200 memory steps.</summary>
    public bool Quick { get; init; }
    /// <summary>Row ids to run (null = all), in catalog order.</summary>
    public IReadOnlyList<string>? Rows { get; init; }
    /// <summary>The --rows id of the flat-memory check.</summary>
    public const string MemoryRow = "memory";

    /// <summary>Whether the flat-memory check runs: with no --rows filter, or when --rows names it; never with --memory-steps 0.</summary>
    public bool RunsMemoryCheck => MemorySteps > 0 && (Rows is null || Rows.Contains(MemoryRow));

    /// <summary>The table rows selected, in catalog order.</summary>
    public IReadOnlyList<BenchmarkCase> SelectedCases => BenchmarkCase.Catalog.Where(c => Rows is null || Rows.Contains(c.Id)).ToArray();

    /// <summary>The GEMM peak rows selected (<see cref="GemmPeak.Ids"/>), in their order.</summary>
    public IReadOnlyList<string> SelectedGemms => GemmPeak.Ids.Where(id => Rows is null || Rows.Contains(id)).ToArray();

    /// <summary>Every id --rows accepts: the GEMM rows, the catalog's rows and the memory check.</summary>
    public static IEnumerable<string> KnownRows => GemmPeak.Ids.Concat(BenchmarkCase.Catalog.Select(c => c.Id)).Append(MemoryRow);

    /// <summary>Timed repeats per row (default 5; 1 with --quick).</summary>
    public int Repeats { get; init; } = 5;
    /// <summary>Steps of the flat-memory check (0 skips it); RSS is read after Steps/10 and after Steps.</summary>
    public int MemorySteps { get; init; } = 10_000;
    /// <summary>Run on the CPU even when CUDA is visible.</summary>
    public bool Cpu { get; init; }
    /// <summary>torch.set_num_threads before anything runs (null leaves libtorch's default).</summary>
    public int? Threads { get; init; }
    /// <summary>Call CpuMemory.ReuseFreedMemory() first (glibc keeps freed tensor buffers instead of unmapping them).</summary>
    public bool ReuseMemory { get; init; }
    /// <summary>Leave MKL's vendor check as shipped (by default MKL picks its kernels by the CPU's features, as in Trainer.Fit: <see cref="ClassifierKit.Platform.MklDispatch"/>).</summary>
    public bool MklAsShipped { get; init; }
    /// <summary>Where the markdown table goes (null: benchmark-results/latest.md under the repository root).</summary>
    public string? MarkdownPath { get; init; }
    /// <summary>Where the machine-readable results go (null: nowhere).</summary>
    public string? JsonPath { get; init; }
    /// <summary>The GEMM peak record to read and raise (null: results/gemm-peaks.json, <see cref="PeakRecord.DefaultPath"/>).</summary>
    public string? PeaksPath { get; init; }
    /// <summary>Overrides every row's steps per repeat (for experiments).</summary>
    public int? Steps { get; init; }
    /// <summary>Overrides every row's warm-up steps.</summary>
    public int? Warmup { get; init; }

    public const string Usage = """
        usage: dotnet run -c Release --project tests/ClassifierKit.Benchmarks -- [options]
          --quick              tiny setting (CI): 1 repeat, 1 warm-up + 2 timed steps per row, small data subsets, 512x512 GEMMs, 200 memory steps
          --rows a,b,...       only these rows (see --list); 'memory' selects the flat-memory check; default: all rows and the check
          --repeats N          timed repeats per row (default 5)
          --steps N            steps per repeat for every row (default: per row, ~2-5 s each)
          --warmup N           warm-up steps per row (default: per row)
          --memory-steps N     flat-memory check: Net @4 for N steps, RSS after N/10 and N (default 10000, quick 200; 0 skips)
          --cpu                use the CPU even when CUDA is available
          --threads N          torch.set_num_threads(N) first (compare-pytorch uses 2 on both sides)
          --reuse-memory       CpuMemory.ReuseFreedMemory() first (the Trainer's default; compare with and without)
          --mkl-as-shipped     leave MKL's vendor check alone (default: MKL picks kernels by the CPU's features, as Trainer.Fit does)
          --markdown PATH      where to write the markdown table (default benchmark-results/latest.md)
          --json PATH          also write the results as JSON (what compare-pytorch merges)
          --peaks PATH         the GEMM peak record to read and raise (default tests/ClassifierKit.Benchmarks/results/gemm-peaks.json)
          --list               print the row ids and exit
          --help               this text
        """;

    /// <summary>Parses command-line arguments; throws <see cref="ArgumentException"/> with a readable message on bad input.</summary>
    public static BenchmarkOptions Parse(IReadOnlyList<string> args, out bool list, out bool help)
    {
        list = help = false;
        var o = new BenchmarkOptions();
        bool repeatsSet = false, memorySet = false;
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int(int min)
            {
                var name = args[i];
                var v = Value();
                if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min)
                    throw new ArgumentException($"{name} expects an integer >= {min}, got '{v}'");
                return n;
            }
            switch (args[i])
            {
                case "--quick": o = o with { Quick = true }; break;
                case "--rows":
                    o = o with { Rows = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => r.ToLowerInvariant()).ToArray() };
                    break;
                case "--repeats": o = o with { Repeats = Int(1) }; repeatsSet = true; break;
                case "--steps": o = o with { Steps = Int(1) }; break;
                case "--warmup": o = o with { Warmup = Int(0) }; break;
                case "--memory-steps": o = o with { MemorySteps = Int(0) }; memorySet = true; break;
                case "--cpu": o = o with { Cpu = true }; break;
                case "--threads": o = o with { Threads = Int(1) }; break;
                case "--reuse-memory": o = o with { ReuseMemory = true }; break;
                case "--mkl-as-shipped": o = o with { MklAsShipped = true }; break;
                case "--markdown": o = o with { MarkdownPath = Value() }; break;
                case "--json": o = o with { JsonPath = Value() }; break;
                case "--peaks": o = o with { PeaksPath = Value() }; break;
                case "--list": list = true; break;
                case "--help" or "-h": help = true; break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (o.Quick)
        {
            if (!repeatsSet) o = o with { Repeats = 1 };
            if (!memorySet) o = o with { MemorySteps = 200 };
        }
        if (o.MemorySteps is > 0 and < 10) throw new ArgumentException("--memory-steps must be 0 or at least 10");
        if (o.Rows is not null)
        {
            var unknown = o.Rows.Except(KnownRows).ToArray();
            if (unknown.Length > 0)
                throw new ArgumentException($"unknown row(s) {string.Join(", ", unknown)}; known: {string.Join(", ", KnownRows)}");
        }
        return o;
    }
}

using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>One matrix-product row: n x n times n x n in one dtype, GFLOP/s per timed repeat.</summary>
public sealed record GemmResult(string Id, string DType, int N, int ProductsPerRepeat, IReadOnlyList<double> GflopsPerRepeat)
{
    public double MedianGflops => RowResult.Median(GflopsPerRepeat);
    public double MinGflops => GflopsPerRepeat.Min();
    public double MaxGflops => GflopsPerRepeat.Max();
}

/// <summary>
/// The machine's practical compute peak, measured in the same run as the rows: a square float32 and bfloat16 matrix product
/// (torch.mm, 2 n^3 floating-point operations) on the benchmark's threads. Convolutions lower to the same kind of GEMM, so a
/// model's training GFLOP/s over this peak says how much of the machine it uses. The rows' shares divide by the best repeat
/// this CPU has shown (<see cref="PeakRecord"/>), which this run's repeats may raise.
/// </summary>
public static class GemmPeak
{
    /// <summary>The --rows ids, in the order they run.</summary>
    public static readonly IReadOnlyList<string> Ids = ["gemmf32", "gemmbf16"];

    /// <summary>Matrix size of the full setting (and of --quick).</summary>
    public const int FullN = 4096, QuickN = 512;


    /// <summary>
    /// One more repeat of a GEMM row, taken between two table rows (fresh matrices and a warm-up product first), so that the
    /// row's repeats are spread over the run rather than taken in one burst at its start.
    /// </summary>
    public static GemmResult AddRepeat(GemmResult g, BenchmarkOptions o, Device device) =>
        g with { GflopsPerRepeat = g.GflopsPerRepeat.Concat(Run(g.Id, o, device, 1).GflopsPerRepeat).ToArray() };

    /// <summary>The row's first <paramref name="repeats"/> repeats (fresh matrices, a warm-up product first), before any table row runs.</summary>
    public static GemmResult Run(string id, BenchmarkOptions o, Device device, int repeats)
    {
        var dtype = id == "gemmbf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        int n = o.Quick ? QuickN : FullN;
        // Full size: ~0.2-1.5 s per product on 2 cores, so two per repeat; --steps overrides.
        int products = o.Steps ?? (o.Quick ? 1 : 2), warmup = o.Warmup is { } w ? Math.Min(w, 1) : 1;
        using var scope = NewDisposeScope();
        torch.random.manual_seed(1);
        var a = randn(n, n).to(dtype).to(device);
        var b = randn(n, n).to(dtype).to(device);
        for (int i = 0; i < warmup; i++) Product(a, b);
        var gflops = new List<double>();
        double flop = 2.0 * n * n * (double)n;
        for (int r = 0; r < repeats; r++)
        {
            Sync(device);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < products; i++) Product(a, b);
            Sync(device);
            gflops.Add(products * flop / clock.Elapsed.TotalSeconds / 1e9);
        }
        return new GemmResult(id, dtype == ScalarType.BFloat16 ? "bfloat16" : "float32", n, products, gflops);
    }

    // The n x n result is freed at once; allocating it costs well under 1% of the product at n = 4096.
    static void Product(Tensor a, Tensor b)
    {
        using var c = a.mm(b);
    }

    static void Sync(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize();
    }
}

using ClassifierKit.Benchmarks;
using ClassifierKit.Tests.Data;

namespace ClassifierKit.Tests.Benchmarks;

/// <summary>The GEMM peak record: the best repeat of a run of at least 20, kept per CPU, and the share each row is read against.</summary>
public class PeakRecordTests
{
    const string Cpu = "Some CPU (AVX-512, AVX512-BF16, no AMX), family 1 model 2 stepping 3";
    static readonly DateTime Day = new(2026, 12, 6, 0, 0, 0, DateTimeKind.Utc);

    static GemmResult Gemm(int repeats, double best, string dtype = "bfloat16") =>
        new(dtype == "bfloat16" ? "gemmbf16" : "gemmf32", dtype, GemmPeak.FullN, 2,
            Enumerable.Range(0, repeats).Select(i => i == repeats / 2 ? best : best * 0.9).ToArray());

    static PeakRecord Empty(TempDir dir) => PeakRecord.Load(dir["gemm-peaks.json"]);

    [Fact]
    public void A_run_of_fewer_than_twenty_repeats_never_becomes_the_record()
    {
        using var dir = new TempDir();
        var record = Empty(dir);
        Assert.Null(record.Offer(Gemm(PeakRecord.MinRepeats - 1, 900), Cpu, 2, Day, "2.10.0"));
        Assert.Empty(record.Entries);
    }

    [Fact]
    public void The_record_keeps_the_best_repeat_ever_and_only_a_higher_one_replaces_it()
    {
        using var dir = new TempDir();
        var record = Empty(dir);
        var first = record.Offer(Gemm(21, 850), Cpu, 2, Day, "2.10.0");
        Assert.Equal(850, first!.Gflops);
        Assert.Equal(21, first.Repeats);
        Assert.Equal(765, first.RunMedian);   // the other repeats' 0.9 x 850

        Assert.Null(record.Offer(Gemm(30, 800), Cpu, 2, Day.AddDays(1), "2.10.0"));
        Assert.Equal(850, record.Find(Cpu, 2, "bfloat16", GemmPeak.FullN)!.Gflops);

        Assert.NotNull(record.Offer(Gemm(20, 880), Cpu, 2, Day.AddDays(2), "2.10.0"));
        var entry = Assert.Single(record.Entries);
        Assert.Equal((880.0, "2026-12-08"), (entry.Gflops, entry.Date));
    }

    [Fact]
    public void Peaks_are_kept_apart_by_cpu_threads_and_dtype_and_survive_a_save()
    {
        using var dir = new TempDir();
        var record = Empty(dir);
        record.Offer(Gemm(20, 850), Cpu, 2, Day, "2.10.0");
        record.Offer(Gemm(20, 210, "float32"), Cpu, 2, Day, "2.10.0");
        record.Offer(Gemm(20, 400), Cpu, 1, Day, "2.10.0");
        record.Offer(Gemm(20, 1300), "Another CPU (AVX-512, AVX512-BF16, AVX512-FP16, AMX)", 2, Day, "2.10.0");
        record.Save(dir["gemm-peaks.json"]);

        var again = PeakRecord.Load(dir["gemm-peaks.json"]);
        Assert.Equal(4, again.Entries.Count);
        Assert.Equal(850, again.Find(Cpu, 2, "bfloat16", GemmPeak.FullN)!.Gflops);
        Assert.Equal(210, again.Find(Cpu, 2, "float32", GemmPeak.FullN)!.Gflops);
        Assert.Equal(400, again.Find(Cpu, 1, "bfloat16", GemmPeak.FullN)!.Gflops);
        Assert.Null(again.Find(Cpu, 2, "bfloat16", GemmPeak.QuickN));
    }

    [Fact]
    public void A_row_is_read_against_the_higher_of_the_record_and_this_run_and_says_which()
    {
        using var dir = new TempDir();
        var record = Empty(dir);
        Assert.Null(record.Reference("bfloat16", null, Cpu, 2, GemmPeak.FullN));

        var unrecorded = record.Reference("bfloat16", Gemm(5, 700), Cpu, 2, GemmPeak.FullN)!;
        Assert.Equal(700, unrecorded.Gflops);
        Assert.Contains("a full run records one", unrecorded.Source);   // how to make it a record

        record.Offer(Gemm(20, 850), Cpu, 2, Day, "2.10.0");
        var recorded = record.Reference("bfloat16", Gemm(5, 700), Cpu, 2, GemmPeak.FullN)!;
        Assert.Equal(850, recorded.Gflops);
        Assert.Contains("recorded on this CPU, 2026-12-06", recorded.Source);
        Assert.Equal(850, record.Reference("bfloat16", null, Cpu, 2, GemmPeak.FullN)!.Gflops);
        Assert.Equal(900, record.Reference("bfloat16", Gemm(3, 900), Cpu, 2, GemmPeak.FullN)!.Gflops);
    }

    [Fact]
    public void The_bfloat16_ResNet18_row_is_judged_at_sixty_percent_of_its_peak()
    {
        var row = new RowResult(BenchmarkCase.Catalog.Single(c => c.Id == "resnet128bf16"), [new RepeatResult(10, 1280, 10.0, 0, 0, 0, 0)], 1, 0, 0)
            { FlopPerImage = 3.33e9 };   // 128 images/s = 426 GFLOP/s
        string Line(double peak) => Targets.Lines([row], new Dictionary<string, PeakReference> { ["bfloat16"] = new("bfloat16", peak, "test") }, null)
            .Single(l => l.Contains("resnet128bf16"));
        Assert.EndsWith("(target >= 60%) [met]", Line(700));
        Assert.Contains("= 61% of the bfloat16 GEMM peak (700 GFLOP/s, test)", Line(700));
        Assert.EndsWith("(target >= 60%) [NOT met]", Line(800));
    }

    [Fact]
    public void A_record_that_does_not_parse_is_refused_with_the_fix()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["gemm-peaks.json"], "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => PeakRecord.Load(dir["gemm-peaks.json"]));
        Assert.Contains("gemm-peaks.json", e.Message);
        Assert.Contains("git checkout", e.Message);
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClassifierKit.Benchmarks;
using ClassifierKit.Models;
using ClassifierKit.Tests.Data;

namespace ClassifierKit.Tests.Benchmarks;

/// <summary>
/// The benchmark is not a test; this only checks that its quick setting runs and prints sane tables. It joins the
/// Training collection: it trains (process-wide seed, the oneDNN switch) and wants the two cores to itself.
/// ResNet18 @128 and the eval @500 row are left out to stay well under 30 s; they run the same code as resnet5 and neteval1000.
/// </summary>
[Collection(GlobalRng.Name)]
public class BenchmarkSmokeTests
{
    static readonly string[] Gemms = ["gemmf32", "gemmbf16"];
    static readonly string[] Rows = ["net4", "net4pure", "net4fit", "net128", "net128fit", "neteval1000", "tinyvgg32", "resnet5"];

    [Fact]
    public void Quick_run_prints_every_requested_row_with_phase_times_that_add_up_to_the_step()
    {
        _ = TestData.CifarRoot; // fails with how to get CIFAR-10 when it is missing
        using var dir = new TempDir();
        var (markdown, json) = (dir["latest.md"], dir["latest.json"]);
        var rows = string.Join(",", Gemms.Concat(Rows)) + ",memory";
        var options = BenchmarkOptions.Parse(["--quick", "--rows", rows, "--markdown", markdown, "--json", json], out _, out _);
        var output = new StringWriter();

        var report = BenchmarkRunner.Run(options, output);
        var text = output.ToString();

        Assert.True(report.Failures.Count == 0, string.Join("\n", report.Failures.Select(f => f.Line + "\n" + f.Error)));
        Assert.Equal(Rows, report.Rows.Select(r => r.Case.Id));
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var header = Array.FindIndex(lines, l => l.StartsWith("row ", StringComparison.Ordinal) && l.Contains("images/s"));
        Assert.True(header >= 0, "no table header in:\n" + text);
        Assert.Equal(Report.Headers, Cells(lines[header]));
        int Col(string name) => Array.IndexOf(Report.Headers, name);

        foreach (var id in Rows)
        {
            var line = lines.Skip(header + 2).SingleOrDefault(l => l.StartsWith(id + " ", StringComparison.Ordinal));
            Assert.True(line is not null, $"row {id} missing from:\n{text}");
            var cells = Cells(line!);
            Assert.True(cells.Length == Report.Headers.Length, $"row {id}: {cells.Length} cells in '{line}'");
            var phase = cells[Col("phase")];
            bool eval = phase == "eval", fit = phase.StartsWith("Trainer.Fit", StringComparison.Ordinal);

            var rate = Number(cells[Col("images/s (median, min-max)")].Split(' ')[0]);
            Assert.True(rate > 0, $"{id}: images/s {rate}");
            var step = Number(cells[Col("step ms")]);
            Assert.True(step > 0, $"{id}: step {step} ms");
            // images/s and ms/step come from the same clock: they must agree on the images per step
            var batch = Number(cells[Col("batch")]);
            Assert.InRange(rate, 0.5 * batch * 1000 / step, 2.0 * batch * 1000 / step);
            Assert.True(Number(cells[Col("peak RSS")].Split(' ')[0]) > 0, $"{id}: peak RSS '{cells[Col("peak RSS")]}'");
            // every model here is counted (conv/linear layers), and the float32 GEMM peak ran, so both columns hold numbers
            Assert.True(Number(cells[Col("GFLOP/s")]) > 0, $"{id}: GFLOP/s '{cells[Col("GFLOP/s")]}'");
            Assert.Matches(@"^\d+(\.\d)?%$", cells[Col("of peak")]);

            string[] parts = [cells[Col("data ms")], cells[Col("fwd ms")], cells[Col("bwd ms")], cells[Col("opt ms")], cells[Col("data %")]];
            if (fit)
            {
                // Trainer.Fit rows time whole steps only; a number here would be made up
                Assert.All(parts, p => Assert.Equal("-", p));
                continue;
            }
            double data = Number(parts[0]), fwd = Number(parts[1]);
            double bwd = eval ? 0 : Number(parts[2]), opt = eval ? 0 : Number(parts[3]);
            Assert.True(fwd > 0, $"{id}: forward {fwd} ms");
            if (eval) Assert.Equal(["-", "-"], new[] { parts[2], parts[3] });
            else Assert.True(bwd > 0 && opt > 0, $"{id}: backward {bwd} ms, optimizer {opt} ms");
            if (id != "net4pure") Assert.True(data > 0, $"{id}: data {data} ms though it reads the loader");
            var sum = data + fwd + bwd + opt;
            // The parts leave out only the dispose scope's cleanup; they must account for (nearly) all of the step.
            Assert.True(Math.Abs(sum - step) <= 0.15 * step + 1.0, $"{id}: parts sum to {sum:F3} ms but a step takes {step:F3} ms\n{line}");
        }

        // The GEMM table: both dtypes, a positive rate, and ms per product that matches 2 n^3 FLOP at that rate.
        var gemmHeader = Array.FindIndex(lines, l => l.StartsWith("row ", StringComparison.Ordinal) && l.Contains("ms per product"));
        Assert.True(gemmHeader >= 0, "no GEMM table in:\n" + text);
        Assert.Equal(Report.GemmHeaders, Cells(lines[gemmHeader]));
        foreach (var id in Gemms)
        {
            var cells = Cells(lines.Skip(gemmHeader + 2).Single(l => l.StartsWith(id + " ", StringComparison.Ordinal)));
            double n = Number(cells[2]), gflops = Number(cells[3].Split(' ')[0]), ms = Number(cells[4]);
            Assert.True(gflops > 0, $"{id}: {gflops} GFLOP/s");
            Assert.InRange(ms, 0.9 * 2 * n * n * n / (gflops * 1e6), 1.1 * 2 * n * n * n / (gflops * 1e6));
        }

        Assert.Contains(lines, l => l.StartsWith("Net @4 full step / pure model step: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Net @4 inside Trainer.Fit: ", StringComparison.Ordinal) && l.Contains("the bare step (net4)"));
        Assert.NotNull(report.Memory);
        Assert.True(report.Memory!.EarlyBytes > 0 && report.Memory.LateBytes > 0);
        Assert.Contains(lines, l => l.StartsWith("Net @4 resident memory: ", StringComparison.Ordinal));

        var md = File.ReadAllText(markdown);
        foreach (var id in Gemms.Concat(Rows)) Assert.Contains($"| {id} |", md);

        // The JSON compare-pytorch merges: every row once, with its unit, a positive median inside its min-max, steps and warm-up.
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var byId = doc.RootElement.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.Equal(Gemms.Concat(Rows).Order(), byId.Keys.Order());
        foreach (var (id, r) in byId)
        {
            double median = r.GetProperty("median").GetDouble(), min = r.GetProperty("min").GetDouble(), max = r.GetProperty("max").GetDouble();
            Assert.True(median > 0 && min <= median && median <= max, $"{id}: median {median}, min {min}, max {max}");
            Assert.Equal(Gemms.Contains(id) ? "GFLOP/s" : "images/s", r.GetProperty("unit").GetString());
            Assert.True(r.GetProperty("steps").GetInt32() > 0, $"{id}: steps");
        }
        Assert.True(doc.RootElement.GetProperty("threads").GetInt32() > 0);
    }

    [Fact]
    public void Bfloat16_rows_train_through_Trainer_Fit()
    {
        _ = TestData.CifarRoot;
        using var dir = new TempDir();
        var options = BenchmarkOptions.Parse(["--quick", "--rows", "net128fit,net128bf16", "--markdown", dir["latest.md"]], out _, out _);

        var report = BenchmarkRunner.Run(options, new StringWriter());

        Assert.True(report.Failures.Count == 0, string.Join("\n", report.Failures.Select(f => f.Line + "\n" + f.Error)));
        Assert.Equal(["net128fit", "net128bf16"], report.Rows.Select(r => r.Case.Id));
        Assert.All(report.Rows, r => Assert.True(r.MedianImagesPerSecond > 0));
        Assert.Contains(report.Targets, t => t.StartsWith("Net @128 bfloat16 / float32 through Trainer.Fit: ", StringComparison.Ordinal));
    }

    [Fact]
    public void ResNet18_training_is_counted_at_the_textbook_3_33_GFLOP_per_CIFAR_image()
    {
        // 0.56 G multiply-adds per 32x32 forward pass (the CIFAR ResNet-18 of the blog), 2 FLOP each, x3 for forward + backward.
        var resnet = BenchmarkCase.Catalog.Single(c => c.Id == "resnet128");
        Assert.InRange(ModelFlops.PerImage(resnet, [3, 32, 32]) / 1e9, 3.30, 3.36);
        // Net, by hand: conv1 6*28*28*75 + conv2 16*10*10*150 + fc 400*120 + 120*84 + 84*10 = 651,720 multiply-adds.
        Assert.Equal(651_720, ModelFlops.MultiplyAdds("Net", () => new Net(), [3, 32, 32]));
        var eval = BenchmarkCase.Catalog.Single(c => c.Id == "neteval1000");
        Assert.Equal(2.0 * 651_720, ModelFlops.PerImage(eval, [3, 32, 32]));
    }

    [Theory]
    [InlineData("--rows", "net4,nosuchrow")]
    [InlineData("--repeats", "0")]
    [InlineData("--json")]
    [InlineData("--bogus")]
    public void Bad_arguments_are_rejected(params string[] args) =>
        Assert.Throws<ArgumentException>(() => BenchmarkOptions.Parse(args, out _, out _));

    [Fact]
    public void Quick_means_one_repeat_unless_told_otherwise()
    {
        Assert.Equal(1, BenchmarkOptions.Parse(["--quick"], out _, out _).Repeats);
        Assert.Equal(3, BenchmarkOptions.Parse(["--quick", "--repeats", "3"], out _, out _).Repeats);
        Assert.Equal(5, BenchmarkOptions.Parse([], out _, out _).Repeats);
    }

    static string[] Cells(string line) => Regex.Split(line.Trim(), @"\s{2,}");

    static double Number(string s) => double.Parse(s.Replace(",", ""), NumberStyles.Float, CultureInfo.InvariantCulture);
}

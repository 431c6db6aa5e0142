using System.Globalization;
using System.Text.RegularExpressions;
using ClassifierKit.Benchmarks;
using ClassifierKit.Tests.Data;

namespace ClassifierKit.Tests.Benchmarks;

/// <summary>
/// The benchmark is not a test; this only checks that its quick setting runs and prints a sane table. It joins the
/// Training collection: it trains (process-wide seed, the oneDNN switch) and wants the two cores to itself.
/// ResNet18 @128 and the eval @500 row are left out to stay well under 30 s; they run the same code as resnet5 and neteval1000.
/// </summary>
[Collection(GlobalRng.Name)]
public class BenchmarkSmokeTests
{
    static readonly string[] Rows = ["net4", "net4pure", "net128", "neteval1000", "tinyvgg32", "resnet5"];

    [Fact]
    public void Quick_run_prints_every_requested_row_with_phase_times_that_add_up_to_the_step()
    {
        _ = TestData.CifarRoot; // fails with how to get CIFAR-10 when it is missing
        using var dir = new TempDir();
        var markdown = dir["latest.md"];
        var options = BenchmarkOptions.Parse(["--quick", "--rows", string.Join(",", Rows) + ",memory", "--markdown", markdown], out _, out _);
        var output = new StringWriter();

        var report = BenchmarkRunner.Run(options, output);
        var text = output.ToString();

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
            var eval = cells[Col("phase")] == "eval";

            var rate = Number(cells[Col("images/s (median, min-max)")].Split(' ')[0]);
            Assert.True(rate > 0, $"{id}: images/s {rate}");
            double step = Number(cells[Col("step ms")]), data = Number(cells[Col("data ms")]), fwd = Number(cells[Col("fwd ms")]);
            double bwd = eval ? 0 : Number(cells[Col("bwd ms")]), opt = eval ? 0 : Number(cells[Col("opt ms")]);
            Assert.True(step > 0 && fwd > 0, $"{id}: step {step} ms, forward {fwd} ms");
            if (eval) Assert.Equal(["-", "-"], new[] { cells[Col("bwd ms")], cells[Col("opt ms")] });
            else Assert.True(bwd > 0 && opt > 0, $"{id}: backward {bwd} ms, optimizer {opt} ms");
            if (id != "net4pure") Assert.True(data > 0, $"{id}: data {data} ms though it reads the loader");
            var sum = data + fwd + bwd + opt;
            // The parts leave out only the dispose scope's cleanup; they must account for (nearly) all of the step.
            Assert.True(Math.Abs(sum - step) <= 0.15 * step + 1.0, $"{id}: parts sum to {sum:F3} ms but a step takes {step:F3} ms\n{line}");
            Assert.True(Number(cells[Col("peak RSS")].Split(' ')[0]) > 0, $"{id}: peak RSS '{cells[Col("peak RSS")]}'");

            // images/s and ms/step come from the same clock: they must agree on the images per step
            var batch = Number(cells[Col("batch")]);
            Assert.InRange(rate, 0.5 * batch * 1000 / step, 2.0 * batch * 1000 / step);
        }

        var vs = lines.Single(l => l.StartsWith("net4 ", StringComparison.Ordinal));
        Assert.EndsWith("x", Cells(vs)[Col("vs PyTorch")]);
        Assert.Contains(lines, l => l.StartsWith("Net @4 full step / pure model step: ", StringComparison.Ordinal));
        Assert.NotNull(report.Memory);
        Assert.True(report.Memory!.EarlyBytes > 0 && report.Memory.LateBytes > 0);
        Assert.Contains(lines, l => l.StartsWith("Net @4 resident memory: ", StringComparison.Ordinal));

        var md = File.ReadAllText(markdown);
        foreach (var id in Rows) Assert.Contains($"| {id} |", md);
    }

    [Theory]
    [InlineData("--rows", "net4,nosuchrow")]
    [InlineData("--repeats", "0")]
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

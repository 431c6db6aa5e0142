using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

[Collection(GlobalRng.Name)]
public class ScheduleTests
{
    const double Tol = 1e-12;

    [Fact]
    public void OneCycle_starts_at_max_over_div_peaks_at_pct_start_and_ends_at_min()
    {
        var s = LrSchedule.OneCycle(0.1, 100); // pctStart 0.3, div 25, final div 1e4
        Assert.Equal(0.004, s[0], Tol);
        Assert.Equal(0.1, s[29], Tol);
        Assert.Equal(0.004 / 1e4, s[99], Tol);
        Assert.True(s[50] < s[29] && s[50] > s[99]);
    }

    [Fact]
    public void Cosine_goes_from_lr_through_half_to_min()
    {
        var s = LrSchedule.Cosine(0.1, 100, minLr: 0.0);
        Assert.Equal(0.1, s[0], Tol);
        Assert.Equal(0.05, s[50], Tol);
        Assert.Equal(0.0, s[100], Tol);
        Assert.Equal(0.0, s[150], Tol);
    }

    [Fact]
    public void Step_multiplies_by_gamma_every_step_size()
    {
        var s = LrSchedule.Step(0.1, stepSize: 30, gamma: 0.1);
        Assert.Equal(0.1, s[29], Tol);
        Assert.Equal(0.01, s[30], Tol);
        Assert.Equal(0.001, s[60], 1e-15);
    }

    [Fact]
    public void Linear_warmup_ramps_then_holds()
    {
        var s = LrSchedule.LinearWarmup(0.1, 10);
        Assert.Equal(0.01, s[0], Tol);
        Assert.Equal(0.05, s[4], Tol);
        Assert.Equal(0.1, s[9], Tol);
        Assert.Equal(0.1, s[1000], Tol);
        var w = LrSchedule.Warmup(10, LrSchedule.Cosine(0.1, 100));
        Assert.Equal(0.1 * LrSchedule.Cosine(0.1, 100)[0], w[0], Tol);
        Assert.Equal(0.05, w[50], Tol);
    }

    [Fact]
    public void Scheduler_sets_the_optimizer_learning_rate_each_step()
    {
        using var lin = nn.Linear(2, 2);
        var opt = Optimizers.Sgd(lin, lr: 1);
        var sched = new LrScheduler(opt, LrSchedule.Step(0.1, 2, 0.5));
        Assert.Equal(0.1, opt.CurrentLearningRate(), Tol);
        sched.Advance();
        sched.Advance();
        Assert.Equal(2, sched.Step);
        Assert.Equal(0.05, opt.CurrentLearningRate(), Tol);
        Assert.Equal(0.05, sched.LearningRate, Tol);
    }

    // TorchSharp's own schedulers (ports of PyTorch's) are the oracle: ours are plain functions so checkpoints stay one number.
    static double[] TorchSharpRates(Func<optim.Optimizer, optim.lr_scheduler.LRScheduler> make, int steps)
    {
        using var lin = nn.Linear(2, 2);
        using var opt = optim.SGD(lin.parameters(), 0.1, momentum: 0.9);
        var scheduler = make(opt);
        var rates = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            rates[i] = opt.ParamGroups.First().LearningRate;
            opt.step();
            scheduler.step();
        }
        return rates;
    }

    static void AssertSameRates(double[] expected, LrSchedule schedule)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - schedule[i]) <= 1e-9 * Math.Max(1, expected[i]), $"step {i}: TorchSharp {expected[i]}, ours {schedule[i]} ({schedule.Name})");
    }

    [Theory]
    [InlineData(100, 0.3, 25, 1e4)]
    [InlineData(37, 0.25, 20, 100)]
    public void OneCycle_matches_TorchSharps_OneCycleLR(int total, double pctStart, double div, double finalDiv) =>
        AssertSameRates(TorchSharpRates(o => optim.lr_scheduler.OneCycleLR(o, 0.4, total_steps: total, pct_start: pctStart, div_factor: div, final_div_factor: finalDiv), total),
            LrSchedule.OneCycle(0.4, total, pctStart, div, finalDiv));

    [Fact]
    public void Cosine_matches_TorchSharps_CosineAnnealingLR() =>
        AssertSameRates(TorchSharpRates(o => optim.lr_scheduler.CosineAnnealingLR(o, 50, eta_min: 0.001), 50), LrSchedule.Cosine(0.1, 50, 0.001));

    [Fact]
    public void Step_matches_TorchSharps_StepLR() =>
        AssertSameRates(TorchSharpRates(o => optim.lr_scheduler.StepLR(o, 7, 0.5), 40), LrSchedule.Step(0.1, 7, 0.5));

    public static TheoryData<string, Func<LrSchedule>, string> InvalidSchedules => new()
    {
        { "cosine over 0 steps", () => LrSchedule.Cosine(0.1, totalSteps: 0), "totalSteps" },
        { "negative rate", () => LrSchedule.Constant(-0.1), "lr" },
        { "NaN rate", () => LrSchedule.OneCycle(double.NaN, 100), "lr" },
        { "step size 0", () => LrSchedule.Step(0.1, stepSize: 0), "stepSize" },
        { "one-cycle over 1 step", () => LrSchedule.OneCycle(0.1, 1), "totalSteps" },
        { "one-cycle over 0 steps", () => LrSchedule.OneCycle(0.1, 0), "totalSteps" },
        { "warmup of 0 steps", () => LrSchedule.Warmup(0, LrSchedule.Constant(0.1)), "warmupSteps" },
    };

    [Theory]
    [MemberData(nameof(InvalidSchedules))]
    public void Invalid_schedules_are_refused_naming_the_setting(string what, Func<LrSchedule> make, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(make);
        Assert.True(e.ParamName == parameter, $"{what}: {e.Message}");
    }

    [Fact]
    public void A_schedule_that_gives_a_negative_rate_is_stopped_by_the_scheduler()
    {
        using var lin = nn.Linear(2, 2);
        var opt = Optimizers.Sgd(lin, lr: 1);
        var broken = new LrSchedule("broken", s => s < 2 ? 0.1 : -0.1);
        var scheduler = new LrScheduler(opt, broken);
        scheduler.Advance();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Advance());
        Assert.Contains("gives learning rate -0.1 at step 2", e.Message);
        Assert.Equal(0.1, opt.CurrentLearningRate(), Tol);
    }
}

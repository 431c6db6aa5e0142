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
}

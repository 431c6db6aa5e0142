using ClassifierKit.Platform;
using ClassifierKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Platform;

/// <summary>A fact that runs only where the probe measured oneDNN's forward convolution bug on this CPU (forcing aside).</summary>
public sealed class WhereOneDnnForwardBugFactAttribute : FactAttribute
{
    public WhereOneDnnForwardBugFactAttribute()
    {
        var found = OneDnn.MeasuredForwardBug;
        if (!found.Present) Skip = $"oneDNN's forward convolution bug is absent on this CPU ({found.Measured}); this positive control runs where it is present";
    }
}

[Collection(GlobalRng.Name)]
public class OneDnnTests
{
    [Fact]
    public void The_switch_is_reachable_on_linux_and_round_trips()
    {
        Assert.True(OneDnn.Available, "libtorch's at::Context exports were not found");
        Assert.True(OneDnn.Enabled);
        OneDnn.Enabled = false;
        Assert.False(OneDnn.Enabled);
        OneDnn.Enabled = true;
        Assert.True(OneDnn.Enabled);
    }

    [Fact]
    public void Shapes_at_risk_are_hidden_convolutions_off_the_16_grid()
    {
        Assert.Equal((false, true), OneDnn.ShapesAtRisk(new FashionMnistModelV2(1, 10, 10)));
        Assert.Equal((false, false), OneDnn.ShapesAtRisk(new FashionMnistModelV2(1, 16, 10)));
        Assert.Equal((false, false), OneDnn.ShapesAtRisk(new Net()));   // conv1 3->6 is the first layer; conv2 has 16 outputs
        Assert.Equal((false, false), OneDnn.ShapesAtRisk(ResNet.resnet18()));
        Assert.Equal((false, false), OneDnn.ShapesAtRisk(new FashionMnistModelV0(784, 10, 10)));
        Assert.Equal((true, false), OneDnn.ShapesAtRisk(nn.Sequential(nn.Conv2d(3, 24, 3), nn.Conv2d(24, 32, 3))));
        Assert.Equal((false, false), OneDnn.ShapesAtRisk(nn.Sequential(nn.Conv2d(3, 16, 3), nn.Conv2d(16, 48, 3))));
    }

    [Fact]
    public void The_guard_follows_the_probe_both_ways()
    {
        var tinyVgg = new FashionMnistModelV2(1, 10, 10);
        var twentyFour = nn.Sequential(nn.Conv2d(3, 24, 3), nn.Conv2d(24, 32, 3));
        using (OneDnn.ForceForTest(true))
        {
            foreach (var model in new nn.Module[] { tinyVgg, twentyFour })
            {
                var notes = new List<string>();
                using (OneDnn.AvoidBugFor(model, CPU, notes.Add))
                    Assert.False(OneDnn.Enabled);
                Assert.True(OneDnn.Enabled);
                Assert.Contains("forced", Assert.Single(notes));
            }
            Assert.Null(OneDnn.AvoidBugFor(new Net(), CPU));   // no shape at risk: untouched even where the bugs are present
            Assert.Null(OneDnn.AvoidBugFor(tinyVgg, new Device(DeviceType.CUDA)));    // a GPU does not run oneDNN
        }
        using (OneDnn.ForceForTest(false))
        {
            var notes = new List<string>();
            Assert.Null(OneDnn.AvoidBugFor(tinyVgg, CPU, notes.Add));
            Assert.Null(OneDnn.AvoidBugFor(twentyFour, CPU, notes.Add));
            Assert.True(OneDnn.Enabled);
            Assert.Empty(notes);
        }
    }

    [Fact]
    public void The_environment_variable_forces_the_answer_and_rejects_a_typo()
    {
        var before = Environment.GetEnvironmentVariable(OneDnn.ProbeVariable);
        try
        {
            Environment.SetEnvironmentVariable(OneDnn.ProbeVariable, "present");
            Assert.True(OneDnn.ForwardBug.Present && OneDnn.BackwardBug.Present && OneDnn.ForwardBug.Forced);
            Environment.SetEnvironmentVariable(OneDnn.ProbeVariable, "absent");
            Assert.False(OneDnn.ForwardBug.Present || OneDnn.BackwardBug.Present);
            Environment.SetEnvironmentVariable(OneDnn.ProbeVariable, "measure");
            Assert.Equal(OneDnn.MeasuredForwardBug, OneDnn.ForwardBug);
            Environment.SetEnvironmentVariable(OneDnn.ProbeVariable, "yes");
            var e = Assert.Throws<InvalidOperationException>(() => OneDnn.ForwardBug);
            Assert.Contains("present, absent or measure", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(OneDnn.ProbeVariable, before);
        }
    }

    // The probes must be able to say "present": fed a convolution that is 19% off (the bug's size) and a backward pass that
    // returns NaN in some steps, they find the bug; fed libtorch's own kernels with oneDNN off, they find none.
    [Fact]
    public void The_probes_detect_a_wrong_convolution_and_NaN_gradients_and_pass_a_right_one()
    {
        var wrong = OneDnnProbe.Forward((x, w) => OneDnnProbe.Conv3x3(x, w) * 1.19);
        Assert.True(wrong.Present, wrong.Measured);
        int calls = 0;
        var nan = OneDnnProbe.Backward((loss, inputs) =>
        {
            var grads = autograd.grad([loss], inputs);
            return ++calls % 3 == 0 ? grads.Select(g => g * double.NaN).ToList() : grads;
        });
        Assert.True(nan.Present, nan.Measured);
        Assert.Contains($"in 2 of {OneDnnProbe.BackwardSteps}", nan.Measured);

        var (forward, backward) = WithoutOneDnn(() => (
            OneDnnProbe.Forward((x, w) => { OneDnn.Enabled = false; return OneDnnProbe.Conv3x3(x, w); }),
            OneDnnProbe.Backward((loss, inputs) => { OneDnn.Enabled = false; return autograd.grad([loss], inputs); })));
        Assert.False(forward.Present, forward.Measured);
        Assert.False(backward.Present, backward.Measured);
        Assert.True(OneDnn.Enabled, "the probe left oneDNN switched off");
    }

    [Fact]
    public void The_probes_leave_the_global_random_state_alone()
    {
        torch.manual_seed(7);
        using var expected = rand(4);
        torch.manual_seed(7);
        OneDnnProbe.Forward();
        OneDnnProbe.Backward();
        using var after = rand(4);
        Assert.True(expected.allclose(after, rtol: 0, atol: 0), "a probe drew from torch's global generator");
    }

    static T WithoutOneDnn<T>(Func<T> run)
    {
        try { return run(); }
        finally { OneDnn.Enabled = true; }
    }

    // The forward bug, as a positive control of the guard: where the probe measured it, oneDNN's 3x3 convolution over 24
    // input channels is far off a float64 reference, and under the guard it is exact.
    [WhereOneDnnForwardBugFact]
    public void Where_the_forward_bug_is_measured_a_24_channel_convolution_is_wrong_with_oneDNN_and_right_under_the_guard()
    {
        using var forced = OneDnn.ForceForTest(null);
        torch.manual_seed(0);
        var conv = nn.Sequential(nn.Conv2d(3, 24, 3, padding: 1), nn.Conv2d(24, 32, 3, padding: 1));
        using var noGrad = no_grad();
        using var x = randn(4, 3, 16, 16);
        using var reference = conv.to(ScalarType.Float64).call(x.to(ScalarType.Float64));
        conv.to(ScalarType.Float32);
        double Error(Tensor y) => ((y.to(ScalarType.Float64) - reference).norm() / reference.norm()).item<double>();
        using var withOneDnn = conv.call(x);
        Assert.True(Error(withOneDnn) > 1e-2, $"oneDNN's result is within {Error(withOneDnn):G3} of float64 here, though the probe found the bug");
        using (OneDnn.AvoidBugFor(conv, CPU))
        {
            using var guarded = conv.call(x);
            Assert.True(Error(guarded) < 1e-5, $"under the guard the error is {Error(guarded):G3}");
        }
    }

    // Wherever it runs, TinyVGG (10 hidden units, the backward bug's shape) trained through the guard gets finite gradients:
    // on a CPU with the bug the guard must have switched oneDNN off, on one without it oneDNN is right.
    [Fact]
    public void TinyVGG_gradients_stay_finite_through_the_guard()
    {
        torch.manual_seed(0);
        var model = new FashionMnistModelV2(1, 10, 10);
        using var x = randn(32, 1, 28, 28);
        using var y = randint(0, 10, [32]);
        using var guard = OneDnn.AvoidBugFor(model, CPU);
        for (int step = 0; step < 100; step++)
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            foreach (var (name, p) in model.named_parameters())
                Assert.False(p.grad!.isnan().any().item<bool>(), $"NaN gradient in {name} at step {step} ({OneDnn.Describe()})");
        }
    }
}

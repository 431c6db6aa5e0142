using ClassifierKit.Platform;
using ClassifierKit.Models;
using ClassifierKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Platform;

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
    public void Only_models_with_non_16_multiple_hidden_convolutions_are_affected()
    {
        Assert.True(OneDnn.Affects(new FashionMnistModelV2(1, 10, 10)));
        Assert.False(OneDnn.Affects(new FashionMnistModelV2(1, 16, 10)));
        Assert.False(OneDnn.Affects(new Net()));           // conv1 3->6 is the first layer; conv2 has 16 outputs
        Assert.False(OneDnn.Affects(ResNet.resnet18()));
        Assert.False(OneDnn.Affects(new FashionMnistModelV0(784, 10, 10)));
        Assert.True(OneDnn.Affects(nn.Sequential(nn.Conv2d(3, 24, 3), nn.Conv2d(24, 32, 3))));   // 24 inputs: the forward bug
        Assert.False(OneDnn.Affects(nn.Sequential(nn.Conv2d(3, 16, 3), nn.Conv2d(16, 48, 3))));
    }

    // The forward bug, as a positive control of the guard: with oneDNN a 3x3 convolution over 24 input channels is far off
    // a float64 reference on this project's CPUs; under the guard it is exact. If a libtorch update fixes oneDNN, the first
    // assertion fails and says the guard may go.
    [Fact]
    public void A_24_channel_convolution_is_wrong_with_oneDNN_and_right_under_the_guard()
    {
        torch.manual_seed(0);
        var conv = nn.Sequential(nn.Conv2d(3, 24, 3, padding: 1), nn.Conv2d(24, 32, 3, padding: 1));
        using var noGrad = no_grad();
        using var x = randn(4, 3, 16, 16);
        using var reference = conv.to(ScalarType.Float64).call(x.to(ScalarType.Float64));
        conv.to(ScalarType.Float32);
        double Error(Tensor y) => ((y.to(ScalarType.Float64) - reference).norm() / reference.norm()).item<double>();
        using var withOneDnn = conv.call(x);
        Assert.True(Error(withOneDnn) > 1e-2, $"oneDNN's result is now within {Error(withOneDnn):G3} of float64: the bug is gone on this machine");
        using (OneDnn.AvoidBugFor(conv, CPU))
        {
            using var guarded = conv.call(x);
            Assert.True(Error(guarded) < 1e-5, $"under the guard the error is {Error(guarded):G3}");
        }
    }

    [Fact]
    public void The_guard_switches_off_for_the_run_and_back_on_after()
    {
        var model = new FashionMnistModelV2(1, 10, 10);
        var notes = new List<string>();
        using (OneDnn.AvoidBugFor(model, CPU, notes.Add))
            Assert.False(OneDnn.Enabled);
        Assert.True(OneDnn.Enabled);
        Assert.Single(notes);
        Assert.Null(OneDnn.AvoidBugFor(new Net(), CPU));
    }

    // The bug itself: with oneDNN, TinyVGG's gradients turn NaN in most steps on this machine; the guard must prevent it.
    [Fact]
    public void TinyVGG_gradients_stay_finite_under_the_guard()
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
                Assert.False(p.grad!.isnan().any().item<bool>(), $"NaN gradient in {name} at step {step}");
        }
    }
}

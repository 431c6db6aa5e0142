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

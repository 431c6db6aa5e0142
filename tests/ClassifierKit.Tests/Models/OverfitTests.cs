using ClassifierKit.Platform;
using ClassifierKit.Training;
using System.Diagnostics;
using ClassifierKit.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Models;

/// <summary>Every model must be able to memorise 64 real CIFAR-10 images; a wiring bug (wrong shortcut, frozen layer, broken forward) fails this.</summary>
[Collection(GlobalRng.Name)]
public class OverfitTests(ITestOutputHelper output)
{
    // Cross-entropy of a uniform guess over 10 classes is ln 10 = 2.30; fitted models must get far below it.
    private (float first, float last) Overfit(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, int steps, double lr)
    {
        var watch = Stopwatch.StartNew();
        // A hand-written loop needs the same guard the Trainer applies (see OneDnn).
        using var oneDnnOff = OneDnn.AvoidBugFor(model, CPU);
        model.train();
        using var optimizer = optim.Adam(model.parameters(), lr);
        float first = float.NaN, last = float.NaN;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
            last = loss.item<float>();
            if (step == 0) first = last;
            if (float.IsNaN(last)) break;
        }
        output.WriteLine($"{model.GetType().Name}: loss {first:F3} -> {last:F3} in {steps} steps, {watch.Elapsed.TotalSeconds:F1} s");
        return (first, last);
    }

    private static void AssertLearned((float first, float last) loss, float bound)
    {
        Assert.True(loss.first > 1.8f, $"initial loss {loss.first} is suspiciously low for 10 classes");
        Assert.True(loss.last < bound, $"loss only fell from {loss.first} to {loss.last}, bound {bound}");
    }

    [Fact]
    public void Net_overfits_64_cifar_images()
    {
        var (x, y) = CifarSample.Load();
        torch.manual_seed(0);
        AssertLearned(Overfit(new Net(), x, y, steps: 100, lr: 3e-3), 0.1f);
    }

    [Fact]
    public void Resnet18_overfits_64_cifar_images()
    {
        var (x, y) = CifarSample.Load();
        // At 32x32 a step takes several seconds on two cores; 16x16 keeps every layer (conv5_x sees 2x2) at a quarter of the cost.
        using var small = CifarSample.Half16(x);
        torch.manual_seed(0);
        AssertLearned(Overfit(ResNet.resnet18(), small, y, steps: 10, lr: 1e-3), 0.1f);
    }

    [Fact]
    public void FashionMnistModelV0_overfits_64_gray_cifar_images()
    {
        var (x, y) = CifarSample.Load();
        using var gray = CifarSample.Gray28(x);
        torch.manual_seed(0);
        // Linear model, 10 hidden units: 64 points in 784 dims are separable, so it still memorises them.
        AssertLearned(Overfit(new FashionMnistModelV0(784, 10, 10), gray, y, steps: 300, lr: 1e-2), 0.1f);
    }

    [Fact]
    public void FashionMnistModelV1_overfits_64_gray_cifar_images()
    {
        var (x, y) = CifarSample.Load();
        using var gray = CifarSample.Gray28(x);
        torch.manual_seed(0);
        AssertLearned(Overfit(new FashionMnistModelV1(784, 10, 10), gray, y, steps: 300, lr: 1e-2), 0.1f);
    }

    [Fact]
    public void FashionMnistModelV2_overfits_64_gray_cifar_images()
    {
        var (x, y) = CifarSample.Load();
        using var gray = CifarSample.Gray28(x);
        torch.manual_seed(0);
        AssertLearned(Overfit(new FashionMnistModelV2(1, 10, 10), gray, y, steps: 200, lr: 3e-3), 0.1f);
    }

    [Fact]
    public void ResNet9_overfits_64_cifar_images()
    {
        var (x, y) = CifarSample.Load();
        torch.manual_seed(0);
        // The 0.125 logit scale is for long runs at a high learning rate; a plain head memorises faster here.
        AssertLearned(Overfit(new ResNet9(ResNet9Options.Width(16) with { OutputScale = 1.0 }), x, y, steps: 30, lr: 3e-3), 0.1f);
    }
}

using ClassifierKit.Models;
using TorchSharp;

namespace ClassifierKit.Tests.Models;

[Collection(GlobalRng.Name)]
public class ModelShapeTests
{
    [Fact]
    public void Net_maps_cifar_batch_to_ten_logits() =>
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(new Net(), 2, 3, 32, 32));

    [Fact]
    public void LeNet_maps_grayscale_32x32_batch_to_ten_logits() =>
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(new LeNet(), 2, 1, 32, 32));

    [Fact]
    public void FashionMnist_models_map_28x28_batch_to_output_shape()
    {
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(new FashionMnistModelV0(784, 10, 10), 2, 1, 28, 28));
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(new FashionMnistModelV1(784, 10, 10), 2, 1, 28, 28));
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(new FashionMnistModelV2(1, 10, 10), 2, 1, 28, 28));
    }

    [Fact]
    public void BaseConv_without_padding_shrinks_by_kernel_minus_one() =>
        Assert.Equal([2L, 8, 30, 30], ModelTestHelpers.OutputShape(new BaseConv(3, 8, 3), 2, 3, 32, 32));

    [Fact]
    public void Stem_turns_32x32_into_64_channels_of_6x6()
    {
        // 32 -(3x3 stride 2, no pad)-> 15 -(3x3)-> 13 -(3x3)-> 11 -(max pool 3, stride 2, pad 1)-> 6
        Assert.Equal([2L, 64, 6, 6], ModelTestHelpers.OutputShape(ResNetStem.Build(3, 32, 32, 64), 2, 3, 32, 32));
    }

    [Fact]
    public void ResBlock_with_stride_two_halves_resolution_and_changes_channels()
    {
        Assert.Equal([2L, 128, 8, 8], ModelTestHelpers.OutputShape(new ResBlock(64, 128, 2), 2, 64, 16, 16));
        Assert.Equal([2L, 128, 8, 8], ModelTestHelpers.OutputShape(new ResBlock(64, 128, 2, resnetD: true), 2, 64, 16, 16));
        Assert.Equal([2L, 64, 16, 16], ModelTestHelpers.OutputShape(new ResBlock(64, 64), 2, 64, 16, 16));
    }

    [Fact]
    public void ResNets_map_cifar_batch_to_class_logits()
    {
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(ResNet.resnet18(), 2, 3, 32, 32));
        Assert.Equal([2L, 100], ModelTestHelpers.OutputShape(ResNet.resnet18(100), 2, 3, 32, 32));
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(ResNet.resnet18(new ResNetOptions(UseStem: true)), 2, 3, 32, 32));
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(ResNet.resnet18(new ResNetOptions(ResNetD: true)), 2, 3, 32, 32));
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(ResNet.resnet34(), 2, 3, 32, 32));
    }

    [Fact]
    public void ResNet9_maps_cifar_batch_to_class_logits()
    {
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(new ResNet9(), 2, 3, 32, 32));
        Assert.Equal([2L, 10], ModelTestHelpers.OutputShape(new ResNet9(ResNet9Options.Width(16)), 2, 3, 32, 32));
    }

    [Fact]
    public void ResNet9_scales_logits_by_output_scale()
    {
        torch.manual_seed(1);
        using var x = torch.randn(2, 3, 32, 32);
        torch.manual_seed(2);
        var scaled = new ResNet9(ResNet9Options.Width(8));
        torch.manual_seed(2);
        var unscaled = new ResNet9(ResNet9Options.Width(8) with { OutputScale = 1.0 });
        scaled.eval();
        unscaled.eval();
        using var a = scaled.call(x);
        using var b = unscaled.call(x);
        Assert.True((a * 8).allclose(b, rtol: 1e-4, atol: 1e-6), $"{(a * 8).str()} vs {b.str()}");
    }

    [Fact]
    public void Channels_last_ResNet18_computes_the_same_logits_and_gradients_as_the_default_layout()
    {
        ClassifierKit.Platform.Seed.Everything(3);
        var plain = ResNet.resnet18(new ResNetOptions(BaseWidth: 16));
        var fast = ResNet.resnet18(new ResNetOptions(BaseWidth: 16, ChannelsLast: true));
        fast.load_state_dict(plain.state_dict());
        var firstConv = (TorchSharp.Modules.Conv2d)fast.modules().First(m => m is TorchSharp.Modules.Conv2d);
        Assert.True(ChannelsLast.Is(firstConv.weight!), "the convolution weights are not channels-last");

        using var x = torch.randn(4, 3, 32, 32);   // train mode: batch norm uses the batch's statistics
        using var a = plain.forward(x);
        using var b = fast.forward(x);
        Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-5), "the logits differ");
        a.sum().backward();
        b.sum().backward();
        var plainGrad = ((TorchSharp.Modules.Conv2d)plain.modules().First(m => m is TorchSharp.Modules.Conv2d)).weight!.grad!;
        var fastGrad = firstConv.weight!.grad!;
        double worst = (plainGrad - fastGrad).abs().max().item<float>(), scale = plainGrad.abs().max().item<float>();
        Assert.True(worst <= 1e-3 * scale, $"the first convolution's gradients differ by up to {worst:G3} (largest gradient {scale:G3})");
    }
}

using ClassifierKit.Display;
using ClassifierKit.Models;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Display;

public class ModelPrinterTests
{
    // PyTorch 1.13's print(Net()) for the tutorial's network, character for character.
    const string PyTorchNet = """
        Net(
          (conv1): Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))
          (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
          (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
          (fc1): Linear(in_features=400, out_features=120, bias=True)
          (fc2): Linear(in_features=120, out_features=84, bias=True)
          (fc3): Linear(in_features=84, out_features=10, bias=True)
        )
        """;

    [Fact]
    public void The_tutorial_net_prints_as_pytorch_prints_it()
    {
        Assert.Equal(PyTorchNet.Trim().Replace("\r", ""), ModelPrinter.Print(new Net(), counts: false));
    }

    [Fact]
    public void The_blogs_stem_layers_print_as_the_blog_shows_them()
    {
        // The blog's printed _resnet_stem(3,32,32,64): its first BaseConv and the closing max pool.
        var stem = ResNetStem.Build(3, 32, 32, 64);
        var text = ModelPrinter.Print(stem, counts: false);
        Assert.Contains("(conv): Conv2d(3, 32, kernel_size=(3, 3), stride=(2, 2))", text);
        Assert.Contains("(batchnorm): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", text);
        Assert.Contains("(relu): ReLU(inplace=True)", text);
        Assert.Contains("MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)", text);
    }

    [Fact]
    public void Counts_are_each_layers_parameters_and_the_total_at_the_end()
    {
        var lines = ModelPrinter.Print(new Net()).Split('\n');
        Assert.EndsWith("456", lines[1]);            // conv1: 3*6*25 + 6
        Assert.EndsWith("48,120", lines[4]);         // fc1: 400*120 + 120
        Assert.Equal("62,006 parameters", lines[^1]);
        var frozen = new Net();
        foreach (var p in frozen.parameters().Take(2)) p.requires_grad = false;
        Assert.Equal("62,006 parameters (61,550 trainable)", ModelPrinter.Print(frozen).Split('\n')[^1]);
    }
}

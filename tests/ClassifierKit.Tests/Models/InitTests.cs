using ClassifierKit.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ResNet = ClassifierKit.Models.ResNet;

namespace ClassifierKit.Tests.Models;

[Collection(GlobalRng.Name)]
public class InitTests
{
    private static IEnumerable<(Tensor weight, Tensor? bias)> ConvAndLinear(nn.Module model) =>
        model.modules().Select(m => m switch
        {
            Conv2d c => (c.weight!, c.bias),
            Linear l => (l.weight!, l.bias),
            _ => ((Tensor, Tensor?)?)null,
        }).OfType<(Tensor, Tensor?)>();

    private static double MaxAbs(Tensor t) => t.abs().max().item<float>();

    [Fact]
    public void XavierInit_sets_batchnorm_to_one_and_zero()
    {
        var model = ResNet.resnet18();
        using (no_grad())
            foreach (var bn in model.modules().OfType<BatchNorm2d>()) { bn.weight!.uniform_(2, 3); bn.bias!.uniform_(2, 3); }

        Assert.Same(model, Init.XavierInit(model));

        var bns = model.modules().OfType<BatchNorm2d>().ToList();
        Assert.Equal(20, bns.Count);   // 1 + 8 blocks * 2 + 3 shortcuts
        Assert.All(bns, bn =>
        {
            Assert.True(bn.weight!.eq(1).all().item<bool>());
            Assert.True(bn.bias!.eq(0).all().item<bool>());
        });
    }

    [Fact]
    public void XavierInit_zeroes_biases_and_keeps_weights_within_xavier_bound()
    {
        torch.manual_seed(0);
        var model = new Net();   // every layer has a bias, non-zero by default
        Init.XavierInit(model);
        var layers = ConvAndLinear(model).ToList();
        Assert.Equal(5, layers.Count);
        foreach (var (weight, bias) in layers)
        {
            var bound = Init.XavierBound(weight);
            Assert.True(MaxAbs(weight) <= bound, $"weight {string.Join("x", weight.shape)} exceeds {bound}");
            // uniform over [-b, b]: thousands of draws reach well past half the bound
            Assert.True(MaxAbs(weight) > 0.9 * bound, $"weight {string.Join("x", weight.shape)} does not fill [-{bound}, {bound}]");
            Assert.True(bias!.eq(0).all().item<bool>());
        }
    }

    [Fact]
    public void XavierBound_uses_fan_in_plus_fan_out()
    {
        using var conv = torch.empty(64, 3, 3, 3);     // fan_in 27, fan_out 576
        Assert.Equal(Math.Sqrt(6.0 / 603), Init.XavierBound(conv), 12);
        using var fc = torch.empty(10, 512);
        Assert.Equal(Math.Sqrt(6.0 / 522), Init.XavierBound(fc), 12);
        Assert.Equal(1 / Math.Sqrt(27), Init.DefaultBound(conv), 12);
    }

    [Fact]
    public void Default_init_draws_weights_and_biases_within_one_over_sqrt_fan_in()
    {
        torch.manual_seed(0);
        var fresh = new Net();
        var redrawn = Init.DefaultInit(Init.XavierInit(new Net()));
        foreach (var model in new nn.Module[] { fresh, redrawn })
        {
            foreach (var (weight, bias) in ConvAndLinear(model))
            {
                var bound = Init.DefaultBound(weight);
                Assert.True(MaxAbs(weight) <= bound + 1e-7);
                Assert.True(MaxAbs(weight) > 0.9 * bound);
                Assert.True(MaxAbs(bias!) <= bound + 1e-7);
                Assert.True(MaxAbs(bias!) > 0);
            }
        }
    }
}

using ClassifierKit.Platform;
using ClassifierKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

/// <summary>What arithmetic each layer gets under bfloat16 autocast on the CPU.</summary>
[Collection(GlobalRng.Name)]
public class MixedPrecisionTests
{
    // A colour-image layer (3 channels in), then a wide one, then a linear head.
    static nn.Module<Tensor, Tensor> TwoConvs() => nn.Sequential(
        ("image", nn.Conv2d(3, 8, 3, padding: 1)), ("relu", nn.ReLU()),
        ("wide", nn.Conv2d(8, 8, 3, padding: 1)), ("flatten", nn.Flatten()), ("head", nn.Linear(8 * 6 * 6, 4)));

    // The dtype each named layer produced in one MixedPrecision forward pass, seen by hooks of the test's own.
    static Dictionary<string, ScalarType> OutputDtypes(nn.Module<Tensor, Tensor> model, Precision precision)
    {
        var seen = new Dictionary<string, ScalarType>();
        var removers = new List<Action>();
        foreach (var (name, layer) in model.named_children())
            removers.Add(((nn.Module<Tensor, Tensor>)layer).register_forward_hook((_, _, output) =>
            {
                seen[name] = output.dtype;
                return output;
            }).remove);
        try
        {
            using var images = randn(2, 3, 6, 6);
            using var logits = new MixedPrecision(precision, CPU).Forward(model, images);
            Assert.Equal(ScalarType.Float32, logits.dtype);
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return seen;
    }

    [Fact]
    public void Under_bfloat16_a_convolution_on_the_image_stays_float32_and_the_wider_layers_run_in_bfloat16()
    {
        Seed.Everything(1);
        var seen = OutputDtypes(TwoConvs(), Precision.BFloat16);
        Assert.Equal(ScalarType.Float32, seen["image"]);
        Assert.Equal(ScalarType.BFloat16, seen["wide"]);
        Assert.Equal(ScalarType.BFloat16, seen["head"]);
        Assert.False(Autocast.Enabled(DeviceType.CPU), "autocast must be off again after the pass");
    }

    [Fact]
    public void A_frozen_image_layer_and_a_pass_without_gradients_stay_in_bfloat16()
    {
        Seed.Everything(4);
        var model = TwoConvs();
        using (no_grad())
            Assert.Equal(ScalarType.BFloat16, OutputDtypes(model, Precision.BFloat16)["image"]);
        foreach (var p in model.named_parameters().Where(p => p.name.StartsWith("image."))) p.parameter.requires_grad = false;
        Assert.Equal(ScalarType.BFloat16, OutputDtypes(model, Precision.BFloat16)["image"]);
    }

    [Fact]
    public void The_pass_leaves_no_hooks_on_the_model()
    {
        Seed.Everything(2);
        var model = TwoConvs();
        OutputDtypes(model, Precision.BFloat16);
        // Under autocast with the model as it was left, the image layer runs in bfloat16 again: no hook of the pass remains.
        using var images = randn(2, 3, 6, 6);
        var imageLayer = (nn.Module<Tensor, Tensor>)model.named_children().First(c => c.name == "image").module;
        using (Autocast.Region(DeviceType.CPU, ScalarType.BFloat16))
        using (var output = imageLayer.call(images))
            Assert.Equal(ScalarType.BFloat16, output.dtype);
    }

    [Fact]
    public void A_pass_that_fails_inside_the_image_layer_leaves_autocast_as_it_was()
    {
        Seed.Everything(3);
        var model = TwoConvs();
        using var wrong = randn(2, 5, 6, 6);   // 5 channels into a 3-channel convolution: libtorch refuses
        using (Autocast.Region(DeviceType.CPU, ScalarType.BFloat16))
        {
            Assert.ThrowsAny<Exception>(() => new MixedPrecision(Precision.BFloat16, CPU).Forward(model, wrong));
            Assert.True(Autocast.Enabled(DeviceType.CPU), "the caller's own autocast region must still be on");
        }
        Assert.False(Autocast.Enabled(DeviceType.CPU));
    }
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>The Fashion-MNIST lab's non-linear model: flatten, linear, ReLU, linear.</summary>
/// <remarks>
/// The lab's prose says "Flatten + Linear + ReLU + Linear + ReLU" but its code has no final ReLU;
/// we follow the code, since a ReLU on the logits would stop them from going negative.
/// </remarks>
public sealed class FashionMnistModelV1 : Module<Tensor, Tensor>
{
    private readonly Sequential layer_stack;

    /// <summary>inputShape = pixels per image (784 for 28x28), hiddenUnits = width of the hidden layer, outputShape = classes.</summary>
    public FashionMnistModelV1(int inputShape, int hiddenUnits, int outputShape) : base(nameof(FashionMnistModelV1))
    {
        layer_stack = Sequential(
            Flatten(),
            Linear(inputShape, hiddenUnits),
            ReLU(),
            Linear(hiddenUnits, outputShape));
        RegisterComponents();
    }

    /// <summary>[N, C, H, W] images to [N, outputShape] logits.</summary>
    public override Tensor forward(Tensor x) => layer_stack.call(x);
}

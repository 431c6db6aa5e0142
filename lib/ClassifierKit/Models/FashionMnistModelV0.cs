using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>The Fashion-MNIST lab's baseline: flatten, then two linear layers with no non-linearity between them.</summary>
public sealed class FashionMnistModelV0 : Module<Tensor, Tensor>
{
    private readonly Sequential layer_stack;

    /// <summary>inputShape = pixels per image (784 for 28x28), hiddenUnits = width of the hidden layer, outputShape = classes.</summary>
    public FashionMnistModelV0(int inputShape, int hiddenUnits, int outputShape) : base(nameof(FashionMnistModelV0))
    {
        layer_stack = Sequential(
            Flatten(),
            Linear(inputShape, hiddenUnits),
            Linear(hiddenUnits, outputShape));
        RegisterComponents();
    }

    /// <summary>[N, C, H, W] images to [N, outputShape] logits.</summary>
    public override Tensor forward(Tensor x) => layer_stack.call(x);
}

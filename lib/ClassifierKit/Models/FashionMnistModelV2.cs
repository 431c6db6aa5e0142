using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>The Fashion-MNIST lab's TinyVGG: two conv-ReLU-conv-ReLU-maxpool blocks and a linear classifier, for 28x28 input.</summary>
public sealed class FashionMnistModelV2 : Module<Tensor, Tensor>
{
    private readonly Sequential block_1;
    private readonly Sequential block_2;
    private readonly Sequential classifier;

    /// <summary>inputShape = input channels (1 for grayscale), hiddenUnits = channels of every conv, outputShape = classes.</summary>
    public FashionMnistModelV2(int inputShape, int hiddenUnits, int outputShape) : base(nameof(FashionMnistModelV2))
    {
        block_1 = Sequential(
            Conv2d(inputShape, hiddenUnits, 3, stride: 1, padding: 1),
            ReLU(),
            Conv2d(hiddenUnits, hiddenUnits, 3, stride: 1, padding: 1),
            ReLU(),
            MaxPool2d(2, 2));
        block_2 = Sequential(
            Conv2d(hiddenUnits, hiddenUnits, 3, padding: 1),
            ReLU(),
            Conv2d(hiddenUnits, hiddenUnits, 3, padding: 1),
            ReLU(),
            MaxPool2d(2));
        // 28 -> 14 -> 7 after the two pools, hence 7*7 features per channel.
        classifier = Sequential(
            Flatten(),
            Linear(hiddenUnits * 7 * 7, outputShape));
        RegisterComponents();
    }

    /// <summary>[N, inputShape, 28, 28] images to [N, outputShape] logits.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return classifier.call(block_2.call(block_1.call(x))).MoveToOuterDisposeScope();
    }
}

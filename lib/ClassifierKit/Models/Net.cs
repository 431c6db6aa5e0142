using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>The CIFAR-10 tutorial's small CNN for 3x32x32 images (the blog's baseline), 62,006 parameters.</summary>
public sealed class Net : Module<Tensor, Tensor>
{
    // Field names are the PyTorch attribute names, so state_dict keys match (conv1.weight, fc3.bias, ...).
    private readonly Conv2d conv1;
    private readonly MaxPool2d pool;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear fc3;

    /// <summary>Builds the network with PyTorch's default initialisation.</summary>
    public Net() : base(nameof(Net))
    {
        conv1 = Conv2d(3, 6, 5);
        pool = MaxPool2d(2, 2);
        conv2 = Conv2d(6, 16, 5);
        fc1 = Linear(16 * 5 * 5, 120);
        fc2 = Linear(120, 84);
        fc3 = Linear(84, 10);
        RegisterComponents();
    }

    /// <summary>[N, 3, 32, 32] images to [N, 10] logits.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = pool.call(functional.relu(conv1.call(x)));   // [N, 6, 14, 14]
        x = pool.call(functional.relu(conv2.call(x)));   // [N, 16, 5, 5]
        x = x.flatten(1);
        x = functional.relu(fc1.call(x));
        x = functional.relu(fc2.call(x));
        return fc3.call(x).MoveToOuterDisposeScope();
    }
}

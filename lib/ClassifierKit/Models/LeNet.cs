using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>LeNet from PyTorch's "Neural Networks" tutorial: 1x32x32 input, 10 outputs, 61,706 parameters.</summary>
public sealed class LeNet : Module<Tensor, Tensor>
{
    // The tutorial pools with F.max_pool2d, so it has no pool attribute and neither do we.
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear fc3;

    /// <summary>Builds the network with PyTorch's default initialisation.</summary>
    public LeNet() : base(nameof(LeNet))
    {
        conv1 = Conv2d(1, 6, 5);
        conv2 = Conv2d(6, 16, 5);
        fc1 = Linear(16 * 5 * 5, 120);
        fc2 = Linear(120, 84);
        fc3 = Linear(84, 10);
        RegisterComponents();
    }

    /// <summary>[N, 1, 32, 32] images to [N, 10] logits.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = functional.max_pool2d(functional.relu(conv1.call(x)), 2);
        x = functional.max_pool2d(functional.relu(conv2.call(x)), 2);
        x = x.flatten(1);
        x = functional.relu(fc1.call(x));
        x = functional.relu(fc2.call(x));
        return fc3.call(x).MoveToOuterDisposeScope();
    }
}

using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>Optimizer factories with the blog's settings as defaults.</summary>
public static class Optimizers
{
    /// <summary>SGD with momentum (blog: lr 0.001, momentum 0.9), optional Nesterov and weight decay.</summary>
    public static optim.Optimizer Sgd(nn.Module model, double lr = 0.001, double momentum = 0.9, bool nesterov = false, double weightDecay = 0) =>
        optim.SGD(model.parameters(), lr, momentum, 0, weightDecay, nesterov);

    /// <summary>Adam with the blog's betas (0.9, 0.98) and eps 1e-9.</summary>
    public static optim.Optimizer Adam(nn.Module model, double lr = 0.001, double beta1 = 0.9, double beta2 = 0.98, double eps = 1e-9, double weightDecay = 0) =>
        optim.Adam(model.parameters(), lr, beta1, beta2, eps, weightDecay);

    /// <summary>
    /// Drops the gradients of the optimizer's parameters, so that the next backward pass stores its gradients instead of
    /// adding them to zeros: PyTorch's <c>optimizer.zero_grad()</c> since 2.0 (<c>set_to_none=True</c>); TorchSharp 0.107's
    /// <c>zero_grad()</c> zeroes them in place, one more kernel per parameter in the step and one in backward. An optimizer
    /// steps only parameters that have a gradient, as before. Measured on this project's 2-core CPU (benchmark README): the
    /// blog's Net at batch 4 spends about a third less time in the optimizer.
    /// </summary>
    public static void DropGradients(this optim.Optimizer optimizer)
    {
        foreach (var p in optimizer.parameters()) p.grad = null;
    }

    /// <summary>The learning rate of the optimizer's first parameter group.</summary>
    public static double CurrentLearningRate(this optim.Optimizer optimizer) => optimizer.ParamGroups.First().LearningRate;
}

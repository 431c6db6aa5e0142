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

    /// <summary>The learning rate of the optimizer's first parameter group.</summary>
    public static double CurrentLearningRate(this optim.Optimizer optimizer) => optimizer.ParamGroups.First().LearningRate;
}

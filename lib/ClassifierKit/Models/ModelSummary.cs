using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Models;

/// <summary>One row of a model summary: a layer that owns parameters directly.</summary>
public sealed record LayerSummary(string Name, string Type, string ParameterShapes, long Parameters);

/// <summary>Keras-style summaries of a TorchSharp module: its layers, their parameter shapes and counts.</summary>
public static class ModelSummary
{
    /// <summary>Every layer that owns parameters, in registration order (the state_dict order).</summary>
    public static IReadOnlyList<LayerSummary> Layers(nn.Module model) =>
        model.named_modules()
            .Select(m => (m.name, m.module, own: m.module.named_parameters(recurse: false).ToList()))
            .Where(m => m.own.Count > 0)
            .Select(m => new LayerSummary(
                m.name,
                m.module.GetType().Name,
                string.Join("; ", m.own.Select(p => $"{p.name} [{string.Join("×", p.parameter.shape)}]")),
                m.own.Sum(p => p.parameter.numel())))
            .ToList();

    /// <summary>Total number of parameters (trainable or not).</summary>
    public static long ParameterCount(nn.Module model) => model.parameters().Sum(p => p.numel());

    /// <summary>
    /// Multiply-adds of one forward pass per image through the convolutions and linear layers (the bulk of the work; a
    /// training step costs about 3 times this), measured by running <paramref name="model"/> once on a batch of
    /// <paramref name="inputShape"/> (e.g. [1, 3, 32, 32]) with hooks on those layers.
    /// </summary>
    public static long MultiplyAdds(nn.Module<Tensor, Tensor> model, params long[] inputShape)
    {
        long total = 0;
        var hooks = new List<Action>();   // each removes one hook
        foreach (var layer in model.modules())
        {
            switch (layer)
            {
                case TorchSharp.Modules.Conv2d conv:
                    // Each output value costs in_channels / groups x kernel height x kernel width multiply-adds.
                    var convHook = conv.register_forward_hook((_, _, output) =>
                    {
                        total += output.numel() * (conv.in_channels / conv.groups) * conv.kernel_size.Aggregate(1L, (a, k) => a * k);
                        return output;
                    });
                    hooks.Add(convHook.remove);
                    break;
                case TorchSharp.Modules.Linear linear:
                    var linearHook = linear.register_forward_hook((_, _, output) =>
                    {
                        total += output.numel() * linear.in_features;
                        return output;
                    });
                    hooks.Add(linearHook.remove);
                    break;
            }
        }
        bool wasTraining = model.training;
        try
        {
            model.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var device = model.parameters().FirstOrDefault()?.device ?? CPU;
            model.call(zeros(inputShape, device: device));
        }
        finally
        {
            model.train(wasTraining);
            foreach (var remove in hooks) remove();
        }
        return total / Math.Max(1, inputShape[0]);
    }

    /// <summary>Number of parameters that require gradients.</summary>
    public static long TrainableParameterCount(nn.Module model) => model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
}

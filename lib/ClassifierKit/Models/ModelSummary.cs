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

    /// <summary>Number of parameters that require gradients.</summary>
    public static long TrainableParameterCount(nn.Module model) => model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
}

using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Models;

internal static class ModelTestHelpers
{
    public static long ParameterCount(this nn.Module module) => module.parameters().Sum(p => p.numel());

    public static long[] OutputShape(nn.Module<Tensor, Tensor> model, params long[] inputShape)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        return model.call(randn(inputShape)).shape;
    }

    /// <summary>Deep copies of every state-dict tensor, to compare a model before and after.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    public static void AssertSameState(Dictionary<string, Tensor> expected, nn.Module module)
    {
        var actual = module.state_dict();
        Assert.Equal(expected.Keys.OrderBy(k => k), actual.Keys.OrderBy(k => k));
        foreach (var (key, value) in expected)
        {
            // Tensor.equal is element-wise in TorchSharp (unlike torch.equal in PyTorch), hence shape check + all().
            Assert.Equal(value.shape, actual[key].shape);
            Assert.True(value.eq(actual[key]).all().item<bool>(), $"{key} changed");
        }
    }
}

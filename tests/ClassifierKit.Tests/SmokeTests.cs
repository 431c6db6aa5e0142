using TorchSharp;

namespace ClassifierKit.Tests;

public class SmokeTests
{
    [Fact]
    public void TorchSharp_loads_and_computes()
    {
        using var t = torch.ones(2, 3);
        Assert.Equal(6f, t.sum().item<float>());
    }
}

using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

[Collection(GlobalRng.Name)]
public class LossTests
{
    [Fact]
    public void Label_smoothing_equals_one_minus_eps_times_ce_plus_eps_times_mean_negative_log_p()
    {
        double[][] logits = { new[] { 2.0, 0.5, -1.0 }, new[] { 0.1, 0.2, 3.0 } };
        long[] labels = { 0, 1 };
        const double eps = 0.1;
        double expected = 0;
        for (int i = 0; i < 2; i++)
        {
            double logZ = Math.Log(logits[i].Sum(Math.Exp));
            double[] nlp = logits[i].Select(z => logZ - z).ToArray();
            expected += ((1 - eps) * nlp[labels[i]] + eps * nlp.Average()) / 2;
        }
        using var x = tensor(logits.SelectMany(r => r).ToArray(), ScalarType.Float64).view(2, 3);
        using var y = tensor(labels);
        using var loss = Losses.CrossEntropy(eps)(x, y);
        Assert.Equal(expected, loss.item<double>(), 1e-12);
        using var plain = Losses.CrossEntropy()(x, y);
        Assert.NotEqual(expected, plain.item<double>(), 6);
    }
}

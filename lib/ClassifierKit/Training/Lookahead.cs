using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>
/// Lookahead with an exponential moving average, as airbench uses it: every <see cref="Every"/> optimizer steps the weights (and
/// batch-norm statistics) move to an average of their recent values, whose memory grows over the run (decay
/// 0.95^5 x (step / total)^3), and the run ends on that average. Early steps stay fast; late ones are smoothed.
/// </summary>
public sealed class Lookahead(long totalSteps, int every = 5) : TrainingCallback
{
    Dictionary<string, Tensor>? _average;

    /// <summary>Optimizer steps between two averagings.</summary>
    public int Every { get; } = every;

    public override void BeforeFit(Trainer t)
    {
        if (_average is not null) return;
        using var noGrad = no_grad();
        _average = t.Model.state_dict().Where(kv => kv.Value.is_floating_point())
            .ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    public override void AfterStep(Trainer t)
    {
        if (t.GlobalStep >= totalSteps) Blend(t, 1.0);   // the last step: the average becomes the model
        else if (t.GlobalStep % Every == 0) Blend(t, Math.Pow(0.95, 5) * Math.Pow(t.GlobalStep / (double)totalSteps, 3));
    }

    void Blend(Trainer t, double decay)
    {
        using var noGrad = no_grad();
        foreach (var (key, value) in t.Model.state_dict())
        {
            if (!_average!.TryGetValue(key, out var average)) continue;
            average.lerp_(value, 1 - decay);
            value.copy_(average);
        }
    }
}

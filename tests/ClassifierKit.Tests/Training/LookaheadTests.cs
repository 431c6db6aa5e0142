using ClassifierKit.Data;
using ClassifierKit.Platform;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

[Collection(GlobalRng.Name)]
public class LookaheadTests
{
    [Fact]
    public void The_run_ends_on_the_average_so_the_last_steps_update_is_blended_away()
    {
        // airbench's LookaheadState: every step here (every = 1) the weights become the average; the last step blends with
        // decay 1, which keeps the average as it was and copies it into the model. So the model after two steps equals the
        // model right after the first step's averaging, and differs from it if the averaging never reached the model.
        Seed.Everything(5);
        using var data = TestKit.Synthetic(16);
        var loader = new BatchLoader(data, 8, shuffle: false, Normalization.Half());
        var model = TestKit.TinyNet();
        var snapshots = new Snapshots();
        var options = TestKit.Quiet(1) with { Callbacks = [new Lookahead(totalSteps: 2, every: 1), snapshots] };
        Trainer.Fit(model, loader, null, options, Optimizers.Sgd(model, 0.5));

        Assert.Equal(2, snapshots.Steps.Count);
        var (first, last) = (snapshots.Steps[0], snapshots.Steps[1]);
        // Float state only: airbench's lookahead leaves integer buffers (BatchNorm's num_batches_tracked) to count on.
        Assert.All(first.Keys.Where(k => first[k].is_floating_point()), k => Assert.True(first[k].allclose(last[k], rtol: 0, atol: 0), $"{k} changed in the last step"));
        Assert.Contains(first.Keys, k => !first[k].allclose(snapshots.Before[k], rtol: 0, atol: 0));   // the first step did move the weights
    }

    sealed class Snapshots : TrainingCallback
    {
        public Dictionary<string, Tensor> Before { get; private set; } = new();
        public List<Dictionary<string, Tensor>> Steps { get; } = new();
        static Dictionary<string, Tensor> Copy(Trainer t) => t.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope()); // the step's scope would free them
        public override void BeforeFit(Trainer t) => Before = Copy(t);
        public override void AfterStep(Trainer t) => Steps.Add(Copy(t));
    }
}

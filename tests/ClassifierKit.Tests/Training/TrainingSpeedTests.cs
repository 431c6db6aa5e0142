using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

[Collection(GlobalRng.Name)]
public class TrainingSpeedTests
{
    [Fact]
    public void It_trains_the_model_through_the_trainer_and_counts_only_the_timed_images()
    {
        using var data = TestKit.Synthetic(64);
        var model = TestKit.TinyNet();
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        int calls = 0;
        var speed = TrainingSpeed.ImagesPerSecond(model, data, batchSize: 8, steps: 4, warmup: 2, CPU,
            optimizer: m => { calls++; return optim.SGD(m.parameters(), 0.05); });

        Assert.True(double.IsFinite(speed) && speed > 0, $"images per second: {speed}");
        Assert.Equal(1, calls);   // one optimizer for the warm-up and the timed epoch: the timed steps continue the run
        Assert.Contains(model.parameters().Zip(before), p => !p.First.detach().allclose(p.Second, rtol: 0, atol: 0));
    }

    [Theory]
    [InlineData(8, 0, 2, "time at least one step")]
    [InlineData(8, 2, -1, "warm-up steps cannot be negative")]
    [InlineData(16, 5, 1, "64 images make fewer than 5 batches of 16")]
    public void Settings_it_cannot_time_are_refused_with_what_to_change(int batch, int steps, int warmup, string said)
    {
        using var data = TestKit.Synthetic(64);
        var e = Assert.ThrowsAny<ArgumentException>(() => TrainingSpeed.ImagesPerSecond(TestKit.TinyNet(), data, batch, steps, warmup, CPU));
        Assert.Contains(said, e.Message);
    }
}

using static TorchSharp.torch;

namespace ClassifierKit.Training.Callbacks;

/// <summary>Counts correct predictions on the training mini-batches, on the device (read once per epoch), for train-vs-test curves.</summary>
internal sealed class TrainAccuracy : TrainingCallback
{
    Tensor? _correct;
    long _seen;

    /// <summary>The epoch's training accuracy so far (one read of the device counter), or null before the first mini-batch.</summary>
    public double? Read() => _seen == 0 || _correct is null ? null : _correct.item<long>() / (double)_seen;

    public override void BeforeEpoch(Trainer t)
    {
        if (t.MiniBatch > 0 && _correct is not null) return;
        _correct?.Dispose();
        _correct = zeros(1, dtype: ScalarType.Int64, device: t.TrainLoader!.Device).DetachFromDisposeScope();
        _seen = 0;
    }

    public override void AfterLoss(Trainer t)
    {
        using var scope = NewDisposeScope();
        _correct!.add_(t.Logits!.argmax(1).eq(t.Batch!.Labels).sum());
        _seen += t.Batch.Size;
    }
}

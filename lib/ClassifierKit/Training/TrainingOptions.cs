using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>Settings of a training run; every property has a usable default (the blog's where it has one).</summary>
public sealed record TrainingOptions
{
    /// <summary>Total epochs; a resumed trainer continues up to this number.</summary>
    public int Epochs { get; init; } = 2;

    /// <summary>Print the blog's running-loss line every this many mini-batches (0: never).</summary>
    public int PrintEvery { get; init; } = 2000;

    /// <summary>Label smoothing of the default cross-entropy criterion.</summary>
    public double LabelSmoothing { get; init; } = 0;

    /// <summary>Custom criterion (logits, labels) to loss; null means cross-entropy with <see cref="LabelSmoothing"/>.</summary>
    public Func<Tensor, Tensor, Tensor>? Criterion { get; init; }

    /// <summary>Mini-batches whose gradients are summed (each loss divided by this) before one optimizer step.</summary>
    public int AccumulationSteps { get; init; } = 1;

    /// <summary>Where progress goes; null means a <see cref="ConsoleProgressReporter"/>.</summary>
    public IProgressReporter? Progress { get; init; }

    /// <summary>Minimum time between two progress updates.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Evaluate on the test loader after each epoch (when one is given).</summary>
    public bool EvaluateEachEpoch { get; init; } = true;

    /// <summary>Evaluate with test-time flip augmentation (mean logits of each image and its mirror), see <see cref="Evaluation.Evaluate"/>.</summary>
    public bool TestTimeFlip { get; init; }

    /// <summary>On the CPU, let the C allocator keep freed tensor memory for the next step (<see cref="CpuMemory.ReuseFreedMemory"/>):
    /// several times faster for large models on Linux; the process then keeps its peak memory. Process-wide once set.</summary>
    public bool ReuseFreedMemory { get; init; } = true;

    /// <summary>If set, a checkpoint is written (atomically) to this file after every epoch.</summary>
    public string? CheckpointPath { get; init; }
}

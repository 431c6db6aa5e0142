using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>Settings of a training run; every property has a usable default (the blog's where it has one).</summary>
public sealed record TrainingOptions
{
    /// <summary>Total epochs; a resumed trainer continues up to this number.</summary>
    public int Epochs { get; init; } = 2;

    /// <summary>Print the blog's running-loss line every this many mini-batches (0: never).</summary>
    public int PrintEvery { get; init; } = 2000;

    /// <summary>Label smoothing of the default cross-entropy criterion, in [0, 1).</summary>
    public double LabelSmoothing { get; init; } = 0;

    /// <summary>Custom criterion (logits, labels) to loss; null means cross-entropy with <see cref="LabelSmoothing"/>.</summary>
    public Func<Tensor, Tensor, Tensor>? Criterion { get; init; }

    /// <summary>Mini-batches whose gradients are summed (each loss divided by this) before one optimizer step.</summary>
    public int AccumulationSteps { get; init; } = 1;

    /// <summary>Arithmetic of the forward and backward passes (master weights and optimizer state stay float32).</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>Where progress goes; null means <see cref="TrainingDefaults.ProgressReporter"/> (a console line, or the notebook's bar
    /// once the notebook layer is loaded).</summary>
    public IProgressReporter? Progress { get; init; }

    /// <summary>Minimum time between two progress updates.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Evaluate on the test loader after each epoch (when one is given).</summary>
    public bool EvaluateEachEpoch { get; init; } = true;

    /// <summary>
    /// What the evaluation loader holds, as the epoch lines name it: the test set (the default), or a validation split that a
    /// notebook holds out of the training images to make its choices on, keeping the test set for the end.
    /// </summary>
    public EvaluationSet EvaluatedOn { get; init; } = EvaluationSet.Test;

    /// <summary>Evaluate with test-time flip augmentation (mean logits of each image and its mirror), see <see cref="TestTimeAugmentation.Flip"/>.</summary>
    public bool TestTimeFlip { get; init; }

    /// <summary>On the CPU, let the C allocator keep freed tensor memory for the next step (<see cref="Platform.CpuMemory.ReuseFreedMemory"/>):
    /// several times faster for large models on Linux; the process then keeps its peak memory. Process-wide once set.</summary>
    public bool ReuseFreedMemory { get; init; } = true;

    /// <summary>On the CPU, flush float32 values below 1.2e-38 to zero on the training thread (<see cref="Platform.Denormals"/>,
    /// PyTorch's torch.set_flush_denormal(True)): x86 cores are slow on them, and SGD on small networks makes them (the
    /// tutorial's Net at batch 4 trained 25 % faster). It stays set on that thread after the run.</summary>
    public bool FlushDenormals { get; init; } = true;

    /// <summary>On the CPU, let libtorch's MKL choose its float32 matrix kernels by the CPU's features rather than its vendor
    /// (<see cref="Platform.MklDispatch"/>; on an AMD EPYC a 4096 x 4096 product ran 2.3 times as fast). It takes
    /// effect only before the process's first float32 matrix product, and stays for the process.</summary>
    public bool MklByCpuFeatures { get; init; } = true;

    /// <summary>Intra-op threads on the CPU while training; null lets the trainer choose: one thread when a batch's forward pass costs
    /// too little to split (see <see cref="ProcessSwitches.OneThreadBelow"/>), else libtorch's setting. Restored after the run.</summary>
    public int? Threads { get; init; }

    /// <summary>Print a note in the run's output whenever the run flips a process-wide switch (threads, the allocator, oneDNN,
    /// NNPACK). Off by default: they change the speed, not what a learner does; <see cref="Trainer.Notes"/> keeps them either way.</summary>
    public bool ShowProcessNotes { get; init; }

    /// <summary>If set, a checkpoint is written (atomically) to this file after every epoch; the folder is checked before training starts.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>More hooks into the loop (called after the built-in ones, in this order).</summary>
    public IReadOnlyList<TrainingCallback> Callbacks { get; init; } = [];

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first setting outside its valid range, the range, and the fix.</summary>
    public void Validate()
    {
        if (Epochs < 1)
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1 (the blog trains 2).");
        if (PrintEvery < 0)
            throw new ArgumentOutOfRangeException(nameof(PrintEvery), PrintEvery, "PrintEvery must be 0 (no running-loss lines) or a number of mini-batches, e.g. 2000.");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "LabelSmoothing must lie in [0, 1): 0 is none, 0.1 is common.");
        if (AccumulationSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(AccumulationSteps), AccumulationSteps, "AccumulationSteps must be at least 1 (1: one optimizer step per mini-batch).");
        if (ProgressInterval < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ProgressInterval), ProgressInterval, "ProgressInterval cannot be negative.");
        if (Threads is < 1)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1, or null to let the trainer choose.");
        if (!Enum.IsDefined(Precision))
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Precision must be Float32, BFloat16 or Float16.");
    }
}

/// <summary>What the notebook layer (or an application) may change once for every run that does not choose for itself.</summary>
public static class TrainingDefaults
{
    /// <summary>Makes the progress reporter for a run titled with the given text; the default writes a console line.</summary>
    public static Func<string, IProgressReporter> ProgressReporter { get; set; } = _ => new ConsoleProgressReporter();
}

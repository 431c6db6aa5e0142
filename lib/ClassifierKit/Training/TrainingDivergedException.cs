namespace ClassifierKit.Training;

/// <summary>Thrown when the loss becomes NaN or infinite; on the CPU training stops before that step updates the weights.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>1-based epoch of the bad mini-batch.</summary>
    public int Epoch { get; }
    /// <summary>1-based mini-batch index within the epoch.</summary>
    public int MiniBatch { get; }
    /// <summary>Global 1-based index of the optimizer step that was being computed.</summary>
    public long Step { get; }
    /// <summary>The non-finite loss value.</summary>
    public double Loss { get; }
    /// <summary>Last finite loss seen, if any.</summary>
    public double? LastFiniteLoss { get; }
    /// <summary>Learning rate in use.</summary>
    public double LearningRate { get; }
    /// <summary>Optimizer steps applied from the bad mini-batch on before it was noticed: 0 on the CPU; on a GPU losses are read in batches.</summary>
    public long StepsApplied { get; }

    /// <summary>Builds the message from the facts.</summary>
    public TrainingDivergedException(int epoch, int miniBatch, long step, double loss, double? lastFiniteLoss, double learningRate, long stepsApplied = 0)
        : base($"Training diverged: the loss became {Describe(loss)} at step {step} (epoch {epoch}, mini-batch {miniBatch}). " +
               $"Last finite loss: {(lastFiniteLoss is { } l ? l.ToString("F4") : "none (the very first mini-batch)")}; learning rate {learningRate:G4}. " +
               (stepsApplied == 0
                   ? "Training stopped before applying this step, so the weights are those of the previous step. "
                   : $"The losses were read from the GPU in a batch, so {stepsApplied} step(s) from that mini-batch on were already applied: the weights are not usable. ") +
               "Fix: " + (double.IsFinite(learningRate) && learningRate > 0
                   ? $"lower the learning rate (e.g. {learningRate / 10:G3}) or add warmup"
                   : "the learning rate itself is not a positive number: check the schedule's settings") +
               ", and check the inputs for NaN/Inf (normalization, labels in range).")
    {
        Epoch = epoch;
        MiniBatch = miniBatch;
        Step = step;
        Loss = loss;
        LastFiniteLoss = lastFiniteLoss;
        LearningRate = learningRate;
        StepsApplied = stepsApplied;
    }

    static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "+Infinity" : "-Infinity";
}

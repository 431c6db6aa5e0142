namespace ClassifierKit.Training;

/// <summary>A learning rate as a function of the 0-based scheduler step (an optimizer step, or an epoch for per-epoch schedulers).</summary>
/// <remarks>
/// The shapes are PyTorch's (StepLR, CosineAnnealingLR, OneCycleLR, linear warmup); they are plain functions rather than
/// TorchSharp's scheduler objects so that a scheduler's whole state is one step number, which checkpoints save and restore
/// exactly. The tests check them against TorchSharp's own schedulers.
/// </remarks>
public sealed record LrSchedule(string Name, Func<long, double> At)
{
    /// <summary>The learning rate used for scheduler step <paramref name="step"/>.</summary>
    public double this[long step] => At(Math.Max(0, step));

    /// <summary>Always <paramref name="lr"/>.</summary>
    public static LrSchedule Constant(double lr) => new($"constant {Rate(lr)}", _ => lr);

    /// <summary>lr * gamma^floor(step / stepSize), like PyTorch's StepLR.</summary>
    public static LrSchedule Step(double lr, long stepSize, double gamma = 0.1)
    {
        Rate(lr);
        Positive(stepSize, nameof(stepSize), "steps between two decays");
        if (!(gamma > 0) || !double.IsFinite(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be a positive factor, e.g. 0.1.");
        return new($"step {lr} x{gamma} every {stepSize}", s => lr * Math.Pow(gamma, s / stepSize));
    }

    /// <summary>Half a cosine from lr at step 0 down to minLr at totalSteps (held afterwards), like PyTorch's CosineAnnealingLR.</summary>
    public static LrSchedule Cosine(double lr, long totalSteps, double minLr = 0)
    {
        Rate(lr);
        Positive(totalSteps, nameof(totalSteps), "steps the cosine spans");
        if (!(minLr >= 0) || minLr > lr)
            throw new ArgumentOutOfRangeException(nameof(minLr), minLr, $"minLr must lie in [0, lr = {lr}].");
        return new($"cosine {lr}->{minLr} over {totalSteps}",
            s => minLr + (lr - minLr) * (1 + Math.Cos(Math.PI * Math.Min(s, totalSteps) / totalSteps)) / 2);
    }

    /// <summary>
    /// PyTorch's OneCycleLR (cosine annealing): from maxLr/divFactor up to maxLr at step pctStart*totalSteps - 1,
    /// then down to maxLr/(divFactor*finalDivFactor) at step totalSteps - 1.
    /// </summary>
    public static LrSchedule OneCycle(double maxLr, long totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4)
    {
        Rate(maxLr);
        if (totalSteps < 2)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps,
                "a one-cycle schedule needs at least 2 steps (one up, one down); use epochs x batches per epoch.");
        if (!(pctStart > 0 && pctStart < 1))
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "pctStart must lie in (0, 1), e.g. 0.3.");
        if (!(divFactor >= 1) || !(finalDivFactor >= 1))
            throw new ArgumentOutOfRangeException(nameof(divFactor), $"divFactor ({divFactor}) and finalDivFactor ({finalDivFactor}) must be at least 1.");
        double initial = maxLr / divFactor, final = initial / finalDivFactor;
        double peak = pctStart * totalSteps - 1, end = totalSteps - 1;
        static double Anneal(double from, double to, double t) => to + (from - to) * (1 + Math.Cos(Math.PI * t)) / 2;
        return new($"one-cycle max {maxLr} over {totalSteps}", s =>
            s <= peak ? Anneal(initial, maxLr, peak <= 0 ? 1 : s / peak)
                      : Anneal(maxLr, final, Math.Min(1, (s - peak) / (end - peak))));
    }

    /// <summary>Scales <paramref name="after"/> by (step + 1) / warmupSteps during the first warmupSteps steps, then follows it unchanged.</summary>
    public static LrSchedule Warmup(long warmupSteps, LrSchedule after)
    {
        Positive(warmupSteps, nameof(warmupSteps), "warmup steps");
        return new($"warmup {warmupSteps}, then {after.Name}", s => after[s] * Math.Min(1.0, (s + 1) / (double)warmupSteps));
    }

    /// <summary>Linear warmup to <paramref name="lr"/> over <paramref name="warmupSteps"/> steps, constant afterwards.</summary>
    public static LrSchedule LinearWarmup(double lr, long warmupSteps) => Warmup(warmupSteps, Constant(lr));

    public override string ToString() => Name;

    static double Rate(double lr) =>
        lr > 0 && double.IsFinite(lr) ? lr
            : throw new ArgumentOutOfRangeException(nameof(lr), lr, "a learning rate must be a positive finite number, e.g. 0.001 (the blog's).");

    static void Positive(long value, string name, string what)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} ({what}) must be at least 1.");
    }
}

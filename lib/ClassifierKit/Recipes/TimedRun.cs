using System.Diagnostics;
using ClassifierKit.Data;
using ClassifierKit.Platform;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Recipes;

/// <summary>One point of the accuracy-vs-time curve: the accuracy (on the set the epochs are evaluated on: the test set, or a validation split) after <paramref name="Epoch"/>, <paramref name="Seconds"/> after the run started (data load included).</summary>
public sealed record AccuracyPoint(int Epoch, double Seconds, double Accuracy);

/// <summary>What a timed ("80:20") run produced: the curve, the times to the targets and the final accuracy.</summary>
public sealed class EightyTwentyResult
{
    /// <summary>The recipe, e.g. "ResNet-9 width 16, one-cycle SGD".</summary>
    public required string Recipe { get; init; }
    /// <summary>The accuracy the run is timed to.</summary>
    public required double TargetAccuracy { get; init; }
    /// <summary>The wall-time budget the run is judged against.</summary>
    public required TimeSpan TimeBudget { get; init; }
    /// <summary>Epochs trained.</summary>
    public required int Epochs { get; init; }
    /// <summary>Accuracy after each evaluated epoch, with seconds since the start of the run, on the set <see cref="EvaluatedOn"/> names.</summary>
    public required IReadOnlyList<AccuracyPoint> Curve { get; init; }
    /// <summary>
    /// What the <see cref="Curve"/> was measured on: the test set, or a validation split the run held out of its training
    /// images, so that its choices (epochs, settings) are read from it and the test set is used once, at the end.
    /// </summary>
    public EvaluationSet EvaluatedOn { get; init; } = EvaluationSet.Test;
    /// <summary>Accuracy on the test set at the end of the run (with the recipe's final test-time views).</summary>
    public required double TestAccuracy { get; init; }
    /// <summary>Seconds spent loading the data before training started.</summary>
    public required double DataLoadSeconds { get; init; }
    /// <summary>Seconds from the start to the end of the last evaluation.</summary>
    public required double TotalSeconds { get; init; }
    /// <summary>The trained network.</summary>
    public required nn.Module<Tensor, Tensor> Model { get; init; }
    /// <summary>Per-step and per-epoch records of the training.</summary>
    public required TrainingHistory History { get; init; }

    /// <summary>The test accuracy at the end of the run (<see cref="TestAccuracy"/>).</summary>
    public double FinalAccuracy => TestAccuracy;
    /// <summary>The first point at or above the target accuracy (null if never reached).</summary>
    public AccuracyPoint? FirstAtTarget => FirstAt(TargetAccuracy);
    /// <summary>The first point at or above <paramref name="accuracy"/> (null if never reached).</summary>
    public AccuracyPoint? FirstAt(double accuracy) => Curve.FirstOrDefault(p => p.Accuracy >= accuracy);
    /// <summary>Seconds from the start until an evaluation first showed the target accuracy (null if never).</summary>
    public double? SecondsToTarget => FirstAtTarget?.Seconds;
    /// <summary>
    /// Whether the target was reached within the time budget: on the test curve, at its first point at the target; with a
    /// validation curve, by the one test evaluation at the end (the run's whole time against the budget).
    /// </summary>
    public bool MetTarget => EvaluatedOn == EvaluationSet.Test
        ? SecondsToTarget is { } s && s <= TimeBudget.TotalSeconds
        : TestAccuracy >= TargetAccuracy && TotalSeconds <= TimeBudget.TotalSeconds;

    /// <summary>One line, e.g. <c>80 % after 5 epochs at 06:12; final 87.9 % after 10 epochs at 11:40 (data load 1.6 s, budget 20:00): met</c>.</summary>
    public string Summary =>
        (EvaluatedOn == EvaluationSet.Test ? "" : "validation ") +
        (FirstAtTarget is { } p
            ? $"{TargetAccuracy * 100:F0} % after {p.Epoch} epochs at {Clock(p.Seconds)}"
            : $"{TargetAccuracy * 100:F0} % not reached") +
        $"; final {(EvaluatedOn == EvaluationSet.Test ? "" : "test ")}{FinalAccuracy * 100:F1} % after {Epochs} epochs at {Clock(TotalSeconds)} (data load {DataLoadSeconds:F1} s, budget {Clock(TimeBudget.TotalSeconds)}): " +
        (MetTarget ? "met" : "missed");

    /// <summary>mm:ss (h:mm:ss from an hour on).</summary>
    public static string Clock(double seconds) => TimeSpan.FromSeconds(seconds).ToString(seconds >= 3600 ? @"h\:mm\:ss" : @"mm\:ss");
}

/// <summary>A timed run was stopped on request (Stop button, Ctrl+C, a cancelled token); running it again starts over.</summary>
public sealed class RecipeStoppedException(string recipe, string where, StopPosition? at, string clock) : OperationCanceledException(
    $"Stopped the {recipe} run {where}, {clock} after its start. " +
    "A timed run is measured from its start, so running the cell again starts it over.")
{
    /// <summary>Where training stopped; null when the run stopped before training or in its final evaluation.</summary>
    public StopPosition? At { get; } = at;

    /// <summary>The message alone (a honoured stop request, not a fault).</summary>
    public override string ToString() => Message;
}

/// <summary>
/// The part the timed recipes share: the clock starts before the data is loaded, every evaluated epoch becomes a point of the
/// accuracy-vs-time curve, and the run's summary goes to its progress reporter. One stop request covers the whole run: it is
/// taken at the start, so a stop during the data load or the set-up stops the run too (the trainer's own request would only
/// begin with training).
/// </summary>
internal static class TimedRun
{
    /// <summary>
    /// Times one recipe run. Without <paramref name="validation"/>, each epoch is evaluated on <paramref name="test"/> and the
    /// recipe's final evaluation replaces the last point; with it, the epochs are evaluated on the validation split and the
    /// test set once, at the end (<see cref="EightyTwentyResult.TestAccuracy"/>). <paramref name="setUp"/> gets the training
    /// set and the set the epochs are evaluated on.
    /// </summary>
    public static EightyTwentyResult Run(string recipe, double target, TimeSpan budget, int epochs, IProgressReporter? progress,
        ImageDataset? train, ImageDataset? test, ImageDataset? validation, CancellationToken cancellation, Func<ImageDataset, ImageDataset, Setup> setUp)
    {
        if (validation is not null && train is null)
            throw new ArgumentException("A validation split needs the training images it was held out of, or the run would train on it: " +
                "pass both, e.g. var (train, validation) = Cifar10.Load(train: true).SplitValidation(5_000), then train: train, validation: validation.", nameof(validation));
        var clock = Stopwatch.StartNew();
        using var stop = StopRequests.ForRun(cancellation);
        string Clock() => EightyTwentyResult.Clock(clock.Elapsed.TotalSeconds);
        void StopIfRequested(string where)
        {
            if (stop.IsCancellationRequested) throw new RecipeStoppedException(recipe, where, null, Clock());
        }
        bool ownTrain = train is null, ownTest = test is null;
        try
        {
            train ??= Cifar10.Load(train: true);
            test ??= Cifar10.Load(train: false);
            StopIfRequested("while it loaded the data");
            double loadSeconds = clock.Elapsed.TotalSeconds;
            var recorder = new CurveRecorder(progress ?? TrainingDefaults.ProgressReporter($"The 80:20 run: {recipe}"), clock);
            var (trainer, trainLoader, epochLoader, final) = setUp(train, validation ?? test);
            using var ownedLoaders = new Loaders(trainLoader, epochLoader);
            using var testLoader = validation is null ? null : new BatchLoader(test, epochLoader.BatchSize, shuffle: false, epochLoader.Normalization);
            StopIfRequested("before training");
            var evaluatedOn = validation is null ? EvaluationSet.Test : EvaluationSet.Validation;
            trainer.Options = trainer.Options with { Progress = recorder, EvaluatedOn = evaluatedOn };
            TrainingHistory history;
            try
            {
                history = trainer.Fit(trainLoader, epochLoader, stop.Token);
            }
            catch (TrainingStoppedException e)
            {
                throw new RecipeStoppedException(recipe, $"at epoch {e.At.Epoch}, mini-batch {e.At.MiniBatchesDone:N0}", e.At, Clock());
            }
            // The last evaluation: the recipe's own (more test-time views), else the epochs' one wherever the epochs did not
            // measure the test set (a validation split, or no evaluation per epoch).
            var lastEvaluation = final ?? (testLoader is not null || !trainer.Options.EvaluateEachEpoch ? EpochViews : null);
            double testAccuracy = recorder.Points.Count > 0 ? recorder.Points[^1].Accuracy : double.NaN;
            if (lastEvaluation is not null)
            {
                EvaluationResult last;
                try
                {
                    last = lastEvaluation(trainer, testLoader ?? epochLoader, stop.Token);
                }
                catch (EvaluationStoppedException)
                {
                    throw new RecipeStoppedException(recipe, "in its final evaluation", null, Clock());
                }
                testAccuracy = last.Accuracy;
                if (testLoader is null)
                {
                    recorder.Points.RemoveAll(p => p.Epoch == epochs);
                    recorder.Points.Add(new AccuracyPoint(epochs, clock.Elapsed.TotalSeconds, last.Accuracy));
                }
                recorder.OnMessage($"  final evaluation: test accuracy {last.Accuracy * 100:F1} % at {Clock()}" +
                                   (testLoader is null ? "" : " (the test set's one use; the epochs were evaluated on the validation split)"));
            }
            var result = new EightyTwentyResult
            {
                Recipe = recipe,
                TargetAccuracy = target,
                TimeBudget = budget,
                Epochs = epochs,
                Curve = recorder.Points,
                EvaluatedOn = evaluatedOn,
                TestAccuracy = testAccuracy,
                DataLoadSeconds = loadSeconds,
                TotalSeconds = clock.Elapsed.TotalSeconds,
                Model = trainer.Model,
                History = history,
            };
            recorder.OnMessage(result.Summary);
            return result;
        }
        finally
        {
            if (ownTrain) train?.Dispose();
            if (ownTest) test?.Dispose();
        }
    }

    // The final test evaluation of a recipe that has none of its own: the epochs' views and arithmetic.
    static EvaluationResult EpochViews(Trainer t, BatchLoader loader, CancellationToken stop) =>
        Evaluation.Evaluate(t.Model, loader, t.Options.TestTimeFlip, t.Options.Precision, stop);

    /// <summary>What a recipe sets up: its trainer, the loaders (the second evaluates the epochs), and optionally a final evaluation (e.g. with more test-time views).</summary>
    public sealed record Setup(Trainer Trainer, BatchLoader Train, BatchLoader Test, Func<Trainer, BatchLoader, CancellationToken, EvaluationResult>? Final = null);

    sealed class Loaders(BatchLoader train, BatchLoader test) : IDisposable
    {
        public void Dispose()
        {
            train.Dispose();
            test.Dispose();
        }
    }

    /// <summary>Forwards to the visible reporter and notes each evaluated epoch's accuracy with the run's clock.</summary>
    sealed class CurveRecorder(IProgressReporter inner, Stopwatch clock) : IProgressReporter
    {
        public List<AccuracyPoint> Points { get; } = new();
        public void OnProgress(TrainingProgress progress) => inner.OnProgress(progress);
        public void OnMessage(string line) => inner.OnMessage(line);
        public void OnEpochEnd(EpochRecord epoch)
        {
            if (epoch.TestAccuracy is { } accuracy) Points.Add(new AccuracyPoint(epoch.Epoch, clock.Elapsed.TotalSeconds, accuracy));
            inner.OnEpochEnd(epoch);
            if (epoch.TestAccuracy is { } a)
                inner.OnMessage($"  {EightyTwentyResult.Clock(clock.Elapsed.TotalSeconds)} since start: {epoch.EvaluatedOn.Name()} accuracy {a * 100:F1} %");
        }
    }
}

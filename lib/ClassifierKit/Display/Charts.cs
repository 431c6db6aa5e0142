using ClassifierKit.Recipes;
using ClassifierKit.Training;

namespace ClassifierKit.Display;

/// <summary>The charts the notebooks draw, by name. Each returns a <see cref="Chart"/> that a notebook shows inline.</summary>
public static class Charts
{
    /// <summary>Overlaid lines (loss curves, accuracy over time) with axis titles.</summary>
    public static LineChart Line(string title, string xTitle, string yTitle, params Series[] series) =>
        new() { Title = title, XTitle = xTitle, YTitle = yTitle, Lines = series };

    /// <summary>One bar per category, e.g. per-class accuracy.</summary>
    public static BarChart Bar(string title, IReadOnlyList<string> categories, IReadOnlyList<double> values, string yTitle) =>
        GroupedBar(title, categories, yTitle, (yTitle, values));

    /// <summary>Bars grouped by category, one colour per series (e.g. accuracy of several models per class).</summary>
    public static BarChart GroupedBar(string title, IReadOnlyList<string> categories, string yTitle, params (string Name, IReadOnlyList<double> Values)[] series) =>
        new() { Title = title, YTitle = yTitle, Categories = categories, Bars = series };

    /// <summary>Test accuracy per class in percent, one bar group per named result.</summary>
    public static BarChart PerClassAccuracy(string title, params (string Name, EvaluationResult Result)[] results) => new()
    {
        Title = title,
        YTitle = "test accuracy (%)",
        YRange = (0, 100),
        Categories = results[0].Result.Classes,
        Bars = results.Select(r => (r.Name, (IReadOnlyList<double>)r.Result.PerClass.Select(c => c.Accuracy * 100).ToArray())).ToArray(),
    };

    /// <summary>The confusion matrix: how many test images of each true class (rows) were predicted as each class (columns).</summary>
    public static HeatmapChart ConfusionMatrix(EvaluationResult result, string? title = null)
    {
        int k = result.Classes.Count;
        var values = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                values[i, j] = result.ConfusionMatrix[i, j];
        return new()
        {
            Title = title ?? $"Confusion matrix ({result.Total:N0} test images, {result.Accuracy * 100:F1}% correct)",
            XTitle = "predicted class",
            YTitle = "true class",
            Columns = result.Classes,
            Rows = result.Classes,
            Values = values,
            Width = 640,
            Height = 560,
        };
    }

    /// <summary>The training loss averaged over windows of <paramref name="window"/> optimizer steps (the blog's running loss when the window is its print interval).</summary>
    public static LineChart LossCurve(string title, int window, params (string Name, TrainingHistory History)[] runs) =>
        Line(title, "optimizer steps", "training loss (window mean)",
            runs.Select(r =>
            {
                var (steps, losses) = r.History.WindowedLosses(window);
                return new Series(r.Name, steps, losses);
            }).ToArray());

    /// <summary>Loss and accuracy per epoch, training and test side by side (the gap between them is overfitting).</summary>
    public static LineChart AccuracyPerEpoch(string title, params (string Name, TrainingHistory History)[] runs) => new()
    {
        Title = title,
        XTitle = "epoch",
        YTitle = "accuracy (%)",
        YRange = (0, 100),
        IntegerX = true,
        Lines = runs.SelectMany(r => new[]
        {
            new Series($"{r.Name} train", r.History.Epochs.Select(e => (double)e).ToArray(), r.History.TrainAccuracies.Select(a => a * 100).ToArray()),
            new Series($"{r.Name} test", r.History.Epochs.Select(e => (double)e).ToArray(), r.History.TestAccuracies.Select(a => a * 100).ToArray()),
        }).ToArray(),
    };

    /// <summary>The learning rate at every optimizer step of one or more runs.</summary>
    public static LineChart LearningRate(string title, params (string Name, TrainingHistory History)[] runs) =>
        Line(title, "optimizer step", "learning rate",
            runs.Select(r => new Series(r.Name, r.History.Steps.Select(s => (double)s).ToArray(), r.History.StepLearningRates)).ToArray());

    /// <summary>A schedule's learning rate over <paramref name="steps"/> scheduler steps, before training with it.</summary>
    public static LineChart Schedule(string title, long steps, params LrSchedule[] schedules) =>
        Line(title, "optimizer step", "learning rate",
            schedules.Select(s => new Series(s.Name, Enumerable.Range(0, (int)steps).Select(i => (double)i).ToArray(),
                Enumerable.Range(0, (int)steps).Select(i => s[i]).ToArray())).ToArray());

    /// <summary>The 80:20 runs' accuracy (on the test set, or on their validation split) against wall time (data load included), with the target and the time budget marked.</summary>
    public static LineChart AccuracyOverTime(string title, params (string Name, EightyTwentyResult Result)[] runs)
    {
        var first = runs[0].Result;
        double right = Math.Max(first.TimeBudget.TotalMinutes, runs.SelectMany(r => r.Result.Curve).Select(p => p.Seconds / 60).DefaultIfEmpty(0).Max());
        var targets = runs.Select(r => r.Result.TargetAccuracy).Distinct();
        var lines = runs.Select(r => new Series(r.Name, r.Result.Curve.Select(p => p.Seconds / 60).ToArray(), r.Result.Curve.Select(p => p.Accuracy * 100).ToArray()))
            .Concat(targets.Select(t => new Series($"target {t * 100:F0}%", [0, right], [t * 100, t * 100], Dashed: true)))
            .Append(new Series($"budget {first.TimeBudget.TotalMinutes:F0} min", [first.TimeBudget.TotalMinutes, first.TimeBudget.TotalMinutes], [0, 100], Dashed: true));
        return new LineChart { Title = title, XTitle = "minutes since start (data load included)", YTitle = AccuracyTitle(runs.Select(r => r.Result.EvaluatedOn)), YRange = (0, 100), Lines = lines.ToArray() };
    }

    static string AccuracyTitle(IEnumerable<EvaluationSet> evaluatedOn) =>
        evaluatedOn.Distinct().ToArray() is [var one] ? $"{one.Name()} accuracy (%)" : "accuracy (%): test or validation, see each run";
}

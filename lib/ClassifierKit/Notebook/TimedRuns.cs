using System.Collections;
using System.Globalization;
using ClassifierKit.Recipes;
using ClassifierKit.Training;

namespace ClassifierKit.Notebook;

/// <summary>
/// A notebook's timed recipe runs, in the order they ended, for its charts and tables. Each run handed over is recorded in
/// the notebook's <see cref="RunRecord"/> at once (final test accuracy, wall time, the time at which its curve, on the test set or a validation split, first reached each target,
/// and, for a run evaluated on a validation split, its last validation accuracy, the number a choice between runs reads),
/// so that no teaching cell carries the bookkeeping; in the full profile the record is saved after each run, so a sweep
/// stopped between runs keeps the runs done.
/// </summary>
public sealed class TimedRuns(RunRecord record, params double[] targets) : IReadOnlyList<TimedRuns.Entry>
{
    /// <summary>One run: its key in the record, its name in charts and tables, and what it measured.</summary>
    public sealed record Entry(string Key, string Name, EightyTwentyResult Result);

    readonly List<Entry> _runs = [];

    /// <summary>Keeps <paramref name="result"/> under <paramref name="key"/> and records it; returns it.</summary>
    public EightyTwentyResult Add(string key, string name, EightyTwentyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        _runs.RemoveAll(r => r.Key == key);   // a cell run again replaces its run
        _runs.Add(new Entry(key, name, result));
        record.Add($"{key}.accuracy", Math.Round(result.FinalAccuracy * 100, 1), "%", $"{name}: final test accuracy");
        record.Add($"{key}.seconds", Math.Round(result.TotalSeconds), "s", $"{name}: wall time, data load included");
        if (result.EvaluatedOn == EvaluationSet.Validation && result.Curve.Count > 0)   // what a choice between runs is read from
            record.Add($"{key}.validation", Math.Round(result.Curve[^1].Accuracy * 100, 1), "%",
                $"{name}: validation accuracy after the last epoch (epoch {result.Curve[^1].Epoch})");
        foreach (var target in targets)
            if (result.FirstAt(target) is { } p)
                record.Add(string.Create(CultureInfo.InvariantCulture, $"{key}.to{target * 100:F0}"), Math.Round(p.Seconds), "s",
                    string.Create(CultureInfo.InvariantCulture, $"{name}: wall time to {target * 100:F0}% {result.EvaluatedOn.Name()} accuracy (after epoch {p.Epoch})"));
        if (record.Profile != Profile.Quick.Name) record.SaveProgress();
        return result;
    }

    public int Count => _runs.Count;
    public Entry this[int index] => _runs[index];
    public IEnumerator<Entry> GetEnumerator() => _runs.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

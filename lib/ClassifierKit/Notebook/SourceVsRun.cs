using ClassifierKit.Display;

namespace ClassifierKit.Notebook;

/// <summary>The table each notebook ends with: the sources' numbers beside this run's, and beside the recorded full-profile run.</summary>
public static class SourceVsRun
{
    /// <summary>
    /// One row per pair of a source number (key in notebooks/reference/&lt;notebook&gt;.json) and a run number (key in the run's
    /// record); a null source key is a number the sources do not give. In the quick profile the recorded full run's value is
    /// shown too, since a quick run's numbers only show that learning happens.
    /// </summary>
    public static Table Table(RunRecord run, params (string? Source, string Run)[] pairs)
    {
        var sources = SourceNumbers.For(run.Notebook);
        var recorded = run.Profile == Profile.Full.Name ? null : RunRecord.Recorded(run.Notebook);
        var columns = new List<string> { "measure", "source says", $"this run ({run.Profile})" };
        if (recorded is not null) columns.Add($"recorded full run ({recorded.StartedUtc:yyyy-MM-dd})");
        columns.Add("where in the source");
        var rows = pairs.Select(p =>
        {
            var source = p.Source is null ? null : sources[p.Source];
            var mine = run[p.Run];
            var row = new List<string> { mine?.What ?? source?.What ?? p.Run, source?.Display ?? "-", mine?.Display ?? "-" };
            if (recorded is not null) row.Add(recorded[p.Run]?.Display ?? "-");
            row.Add(source?.Section ?? "");
            return (IReadOnlyList<string>)row;
        }).ToList();
        return new Table(columns, rows) { Caption = $"{run.Notebook}: the sources beside this run ({run.Machine})" };
    }
}

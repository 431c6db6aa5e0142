using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClassifierKit.Platform;

namespace ClassifierKit.Notebook;

/// <summary>One number: what it measures, its value and unit, and (for a source's number) where in the source it stands.</summary>
/// <param name="Key">Stable name, e.g. <c>net.batch5.accuracy</c>.</param>
/// <param name="Value">The number as the source prints it, or as the run measured it.</param>
/// <param name="Unit">"%", "s", "loss", "images/s", ... ("" for a count).</param>
/// <param name="What">One line a reader understands, e.g. "Net, 2 epochs at batch 5: test accuracy".</param>
/// <param name="Section">For a source's number: the source, by title, and the section or code it comes from (learners read it in the closing table).</param>
public sealed record RecordedValue(string Key, double Value, string Unit, string What, string? Section = null)
{
    /// <summary>The value as a table shows it, e.g. "53 %", "2.161", "1,234 s".</summary>
    [JsonIgnore]
    public string Display => Unit switch
    {
        "%" => Value.ToString(Value == Math.Round(Value) ? "0" : "0.0", CultureInfo.InvariantCulture) + " %",
        "loss" => Value.ToString("0.000", CultureInfo.InvariantCulture),
        "" => Value.ToString(Value == Math.Round(Value) ? "N0" : "0.####", CultureInfo.InvariantCulture),
        _ => Value.ToString(Math.Abs(Value) >= 100 ? "N0" : "G3", CultureInfo.InvariantCulture) + " " + Unit,
    };
}

/// <summary>The numbers of one notebook's sources, as data: <c>notebooks/reference/&lt;notebook&gt;.json</c>.</summary>
public sealed record SourceNumbers(string Notebook, IReadOnlyList<RecordedValue> Values)
{
    /// <summary>Reads the reference file of <paramref name="notebook"/> (e.g. "02-baseline-cnn").</summary>
    public static SourceNumbers For(string notebook) =>
        Registry.Read<SourceNumbers>(Path.Combine(Registry.Folder("reference"), notebook + ".json"))
        ?? throw new FileNotFoundException($"no source numbers for {notebook}: notebooks/reference/{notebook}.json is missing.");

    /// <summary>The value named <paramref name="key"/>.</summary>
    public RecordedValue this[string key] => Values.FirstOrDefault(v => v.Key == key)
        ?? throw new KeyNotFoundException($"notebooks/reference/{Notebook}.json has no value '{key}'.");
}

/// <summary>One sitting of a full-profile run that was continued later (<see cref="RunRecord.StartOrResume"/>).</summary>
/// <param name="StartedUtc">When the sitting started.</param>
/// <param name="Machine">The machine it ran on.</param>
/// <param name="Commit">The commit it ran.</param>
/// <param name="Runtime">The libtorch and TorchSharp it used.</param>
/// <param name="WallSeconds">Its own wall time.</param>
/// <param name="ValuesRecorded">How many of the record's values existed when this sitting ended: the first ones in
/// <see cref="RunRecord.Values"/> are this sitting's and its predecessors'.</param>
public sealed record RunPart(DateTime StartedUtc, string Machine, string Commit, string Runtime, double WallSeconds, int ValuesRecorded);

/// <summary>
/// What one notebook run measured. A full-profile run saves it as <c>notebooks/results/&lt;notebook&gt;.json</c> (committed: the
/// README's results table and every result number in the notebooks' text come from these files); a quick run saves it under
/// notebooks/output/ so the registry keeps the full run.
/// </summary>
public sealed class RunRecord
{
    /// <summary>
    /// Set to 1 (with NOTEBOOK_PROFILE=full) to continue the recorded full run of a notebook that supports it, e.g. one of
    /// 04's nine ResNet-18 runs, hours each, cut off by the end of a working day: what it recorded is kept, the rest is run.
    /// </summary>
    public const string ResumeVariable = "NOTEBOOK_RESUME";

    /// <summary>The notebook, e.g. "02-baseline-cnn".</summary>
    public required string Notebook { get; init; }
    /// <summary>"quick" or "full".</summary>
    public required string Profile { get; init; }
    /// <summary>When the run started (UTC).</summary>
    public required DateTime StartedUtc { get; init; }
    /// <summary>The machine, e.g. "AMD EPYC (AVX-512, AVX512-BF16, no AMX), 2 cores, 24 GiB, Debian GNU/Linux 12 (bookworm)".</summary>
    public required string Machine { get; init; }
    /// <summary>The repository commit the run used (with "+changes" when the checkout had uncommitted changes).</summary>
    public required string Commit { get; init; }
    /// <summary>The libtorch and TorchSharp in use.</summary>
    public required string Runtime { get; init; }
    /// <summary>Wall seconds from <see cref="Start"/> to the last <see cref="Save"/>, plus those of the <see cref="EarlierParts"/>.</summary>
    public double WallSeconds { get; set; }
    /// <summary>For a continued run: the sittings before this one (the top-level fields describe the last), oldest first.</summary>
    public List<RunPart>? EarlierParts { get; init; }
    /// <summary>
    /// Saved by <see cref="SaveProgress"/>, before the notebook's end: a sweep stopped between its runs, its rest still to
    /// run (with <see cref="ResumeVariable"/>=1). Left out of the file when false, so records from before it read as finished.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Unfinished { get; set; }
    /// <summary>The measured numbers, in the order recorded.</summary>
    public List<RecordedValue> Values { get; init; } = new();

    [JsonIgnore] Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Starts the record of a run of <paramref name="notebook"/> in <paramref name="profile"/>.</summary>
    public static RunRecord Start(string notebook, Profile profile) => new()
    {
        Notebook = notebook,
        Profile = profile.Name,
        StartedUtc = DateTime.UtcNow,
        Machine = MachineDescription(),
        Commit = Registry.Commit(),
        Runtime = $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3)}, libtorch {TorchSharp.torch.__version__}, .NET {Environment.Version}",
    };

    /// <summary>
    /// A new record; or, when $NOTEBOOK_RESUME is 1 in the full profile and notebooks/results holds a record of
    /// <paramref name="notebook"/>, that record continued: its values stay (<see cref="KeptFromEarlierPart"/> names them), its
    /// sitting becomes one of the <see cref="EarlierParts"/>, and this sitting's clock adds to its wall time.
    /// </summary>
    public static RunRecord StartOrResume(string notebook, Profile profile)
    {
        if (Environment.GetEnvironmentVariable(ResumeVariable)?.Trim() is not ("1" or "true")) return Start(notebook, profile);
        if (profile.IsQuick)
            throw new ArgumentException($"{ResumeVariable}=1 continues a full-profile run, but the profile is quick: set {ClassifierKit.Notebook.Profile.EnvironmentVariable}=full too, or unset {ResumeVariable}.");
        return Recorded(notebook) is { } recorded ? Continue(recorded) : Start(notebook, profile);   // nothing recorded: this sitting is the first
    }

    /// <summary>A new sitting of <paramref name="recorded"/>: its values and earlier sittings stay; the top-level fields become this sitting's.</summary>
    public static RunRecord Continue(RunRecord recorded)
    {
        var fresh = Start(recorded.Notebook, new Profile(recorded.Profile));
        var earlier = recorded.EarlierParts ?? new List<RunPart>();
        var last = new RunPart(recorded.StartedUtc, recorded.Machine, recorded.Commit, recorded.Runtime,
            Math.Round(recorded.WallSeconds - earlier.Sum(p => p.WallSeconds), 1), recorded.Values.Count);
        return new RunRecord
        {
            Notebook = recorded.Notebook,
            Profile = recorded.Profile,
            StartedUtc = fresh.StartedUtc,
            Machine = fresh.Machine,
            Commit = fresh.Commit,
            Runtime = fresh.Runtime,
            WallSeconds = recorded.WallSeconds,
            EarlierParts = earlier.Append(last).ToList(),
            Values = new List<RecordedValue>(recorded.Values),
        };
    }

    /// <summary>The value named <paramref name="key"/> if an earlier sitting of this run recorded it (and this one did not replace it).</summary>
    public RecordedValue? KeptFromEarlierPart(string key)
    {
        int kept = EarlierParts is { Count: > 0 } parts ? parts[^1].ValuesRecorded : 0;
        int index = Values.FindIndex(v => v.Key == key);
        return index >= 0 && index < kept ? Values[index] : null;
    }

    /// <summary>
    /// Records one running-loss line of <paramref name="run"/> as the blog prints it, "[epoch, mini-batch] loss", for the
    /// window that ends <paramref name="miniBatchesDone"/> mini-batches from the start; <see cref="RunningLoss"/> reads them back.
    /// </summary>
    public RecordedValue AddRunningLoss(string run, string name, long miniBatchesDone, long miniBatchesPerEpoch, double loss)
    {
        long epoch = (miniBatchesDone - 1) / miniBatchesPerEpoch + 1, miniBatch = miniBatchesDone - (epoch - 1) * miniBatchesPerEpoch;
        return Add($"{run}.loss.{epoch}.{miniBatch}", Math.Round(loss, 3), "loss", $"{name}: running loss [{epoch}, {miniBatch,5}]");
    }

    /// <summary>
    /// Records the blog's running-loss lines of a training run: the mean loss of every <paramref name="printEvery"/> steps of
    /// each epoch of <paramref name="history"/>, each at its "[epoch, mini-batch]". A step takes <paramref name="miniBatchesPerStep"/>
    /// mini-batches (gradient accumulation), so the lines are placed in mini-batches as the blog's loop counts them.
    /// </summary>
    public void AddRunningLosses(string run, string name, Training.TrainingHistory history, int printEvery,
                                 long miniBatchesPerEpoch, int miniBatchesPerStep = 1)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (printEvery < 1) throw new ArgumentOutOfRangeException(nameof(printEvery), printEvery, "printEvery must be at least 1 step.");
        // The sources' loops count mini-batches from 1 in each epoch and reset their running loss there, so the windows are
        // taken within each epoch; an epoch's remainder (12,500 mini-batches of 4 against windows of 2,000) is never printed.
        foreach (var epoch in history.StepRecords.GroupBy(r => r.Epoch))
        {
            var windows = epoch.Chunk(printEvery).Where(c => c.Length == printEvery).ToArray();
            for (int k = 0; k < windows.Length; k++)
                AddRunningLoss(run, name, (epoch.Key - 1) * miniBatchesPerEpoch + (long)(k + 1) * printEvery * miniBatchesPerStep,
                               miniBatchesPerEpoch, windows[k].Average(r => r.Loss));
        }
    }

    /// <summary>
    /// Records what a CIFAR-10 training run produced, under <paramref name="run"/>: its test accuracy, its training time
    /// (the epochs' wall seconds), the accuracy of each class (keys by the blog's short class names: plane, car, ...) and the
    /// blog's running-loss lines (see <see cref="AddRunningLosses"/>). One call, so a notebook hands its run over and keeps
    /// the bookkeeping out of its lessons.
    /// </summary>
    public void AddTrainingRun(string run, string name, Training.TrainingHistory history, Training.EvaluationResult result,
                               int printEvery, long miniBatchesPerEpoch, int miniBatchesPerStep = 1)
    {
        ArgumentNullException.ThrowIfNull(history);
        AddTestEvaluation(run, name, result);
        AddTrainingTimeAndLosses(run, name, history, printEvery, miniBatchesPerEpoch, miniBatchesPerStep);
    }

    /// <summary>
    /// Records a training run whose epochs were evaluated on a validation split, for making a choice: its validation accuracy
    /// (key <c>&lt;run&gt;.validation</c>), training time and running losses. Its test accuracy is not part of it: the test set
    /// is touched once, at the end, for the runs chosen (<see cref="AddTestEvaluation"/>).
    /// </summary>
    public void AddValidatedTrainingRun(string run, string name, Training.TrainingHistory history, Training.EvaluationResult validation,
                                        int printEvery, long miniBatchesPerEpoch, int miniBatchesPerStep = 1)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(validation);
        Add($"{run}.validation", Math.Round(validation.Accuracy * 100, 1), "%", $"{name}: validation accuracy");
        AddTrainingTimeAndLosses(run, name, history, printEvery, miniBatchesPerEpoch, miniBatchesPerStep);
    }

    /// <summary>
    /// Records an evaluation on the test set under <paramref name="run"/>: its accuracy (key <c>&lt;run&gt;.accuracy</c>) and the
    /// accuracy of each class (<c>&lt;run&gt;.class.&lt;short name&gt;</c>, the blog's short CIFAR-10 names: plane, car, ...).
    /// </summary>
    public void AddTestEvaluation(string run, string name, Training.EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Add($"{run}.accuracy", Math.Round(result.Accuracy * 100, 1), "%", $"{name}: test accuracy");
        foreach (var c in result.PerClass)
        {
            int index = Array.IndexOf(Data.Cifar10.Classes, c.Class);
            string shortName = index >= 0 ? Data.Cifar10.ShortClasses[index] : c.Class;
            Add($"{run}.class.{shortName}", Math.Round(c.Accuracy * 100, 1), "%", $"{name}: accuracy of {c.Class}");
        }
    }

    void AddTrainingTimeAndLosses(string run, string name, Training.TrainingHistory history, int printEvery,
                                  long miniBatchesPerEpoch, int miniBatchesPerStep)
    {
        Add($"{run}.seconds", Math.Round(history.EpochRecords.Sum(e => e.Seconds)), "s", $"{name}: {history.EpochRecords.Count} epoch(s), wall time");
        AddRunningLosses(run, name, history, printEvery, miniBatchesPerEpoch, miniBatchesPerStep);
    }

    /// <summary>
    /// The running-loss lines recorded for <paramref name="run"/> (keys <c>&lt;run&gt;.loss.&lt;epoch&gt;.&lt;mini-batch&gt;</c>, the
    /// blog's "[e, i]"), in the order recorded, with each line's place counted in mini-batches from the start.
    /// </summary>
    public (double[] MiniBatches, double[] Losses) RunningLoss(string run, long miniBatchesPerEpoch)
    {
        var lines = Values.Where(v => v.Key.StartsWith(run + ".loss.", StringComparison.Ordinal)).ToArray();
        var at = lines.Select(v => v.Key.Split('.')).Select(k => (double)((long.Parse(k[^2]) - 1) * miniBatchesPerEpoch + long.Parse(k[^1])));
        return (at.ToArray(), lines.Select(v => v.Value).ToArray());
    }

    /// <summary>Records (or replaces) a number.</summary>
    public RecordedValue Add(string key, double value, string unit, string what)
    {
        int index = Values.FindIndex(v => v.Key == key);
        if (index >= 0)
        {
            Values.RemoveAt(index);
            for (int i = 0; i < (EarlierParts?.Count ?? 0); i++)   // replaced: no longer an earlier sitting's value
                if (index < EarlierParts![i].ValuesRecorded) EarlierParts[i] = EarlierParts[i] with { ValuesRecorded = EarlierParts[i].ValuesRecorded - 1 };
        }
        var recorded = new RecordedValue(key, value, unit, what);
        Values.Add(recorded);
        return recorded;
    }

    /// <summary>The value named <paramref name="key"/>, if recorded.</summary>
    public RecordedValue? this[string key] => Values.FirstOrDefault(v => v.Key == key);

    /// <summary>The number recorded under <paramref name="key"/>; a cell run before the one that records it learns which and what to do.</summary>
    /// <exception cref="InvalidOperationException">Nothing is recorded under <paramref name="key"/> yet.</exception>
    public double ValueOf(string key) => this[key]?.Value ?? throw new InvalidOperationException(
        $"{Notebook}: nothing is recorded under \"{key}\" yet. Run the cell that produces it first (the cells above this one, in order), then this cell again.");

    /// <summary>Writes the finished record (full profile: into the registry, notebooks/results/; quick: notebooks/output/); returns the path.</summary>
    public string Save()
    {
        Unfinished = false;
        return Write();
    }

    /// <summary>Writes the record so far, marked <see cref="Unfinished"/>, so a long sweep stopped between its runs keeps them.</summary>
    public string SaveProgress()
    {
        Unfinished = true;
        return Write();
    }

    string Write()
    {
        WallSeconds = Math.Round(_clock.Elapsed.TotalSeconds + (EarlierParts?.Sum(p => p.WallSeconds) ?? 0), 1);
        var path = Profile == ClassifierKit.Notebook.Profile.Full.Name
            ? Path.Combine(Registry.Folder("results"), Notebook + ".json")
            : Outputs.File(Notebook + ".quick.json");
        Registry.Write(path, this);
        return path;
    }

    /// <summary>The full-profile record in the registry (notebooks/results/), or null when none was committed yet.</summary>
    public static RunRecord? Recorded(string notebook) =>
        Registry.Read<RunRecord>(Path.Combine(Registry.Folder("results"), notebook + ".json"));

    static string MachineDescription()
    {
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return string.Create(CultureInfo.InvariantCulture, $"{Cpu.Describe()}, {memory:F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
    }
}

/// <summary>Where the registry lives (notebooks/reference and notebooks/results in the checkout) and how its files are read and written.</summary>
public static class Registry
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // "+changes", not "\u002Bchanges"
    };

    /// <summary>notebooks/<paramref name="name"/> in this checkout.</summary>
    public static string Folder(string name) => Path.Combine(Locations.RequireRepositoryRoot(), "notebooks", name);

    internal static T? Read<T>(string path) where T : class =>
        File.Exists(path) ? JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json) : null;

    internal static void Write<T>(string path, T value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(value, Json) + "\n");
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The checkout's commit, with "+changes" when files differ from it; "unknown" without git.</summary>
    public static string Commit()
    {
        try
        {
            var root = Locations.RequireRepositoryRoot();
            string Git(string args)
            {
                using var p = Process.Start(new ProcessStartInfo("git", args) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true })!;
                var output = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
                return p.ExitCode == 0 ? output : throw new InvalidOperationException(output);
            }
            var head = Git("rev-parse --short=12 HEAD");
            var dirty = Git("status --porcelain --untracked-files=no -- lib tests notebooks/*.ipynb").Length > 0;
            return dirty ? head + "+changes" : head;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}

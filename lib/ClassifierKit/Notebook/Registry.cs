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
/// <param name="Section">For a source's number: the source file and the section or code it comes from.</param>
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

/// <summary>
/// What one notebook run measured. A full-profile run saves it as <c>notebooks/results/&lt;notebook&gt;.json</c> (committed: the
/// README's results table and every result number in the notebooks' text come from these files); a quick run saves it under
/// notebooks/output/ so the registry keeps the full run.
/// </summary>
public sealed class RunRecord
{
    /// <summary>The notebook, e.g. "02-baseline-cnn".</summary>
    public required string Notebook { get; init; }
    /// <summary>"quick" or "full".</summary>
    public required string Profile { get; init; }
    /// <summary>When the run started (UTC).</summary>
    public required DateTime StartedUtc { get; init; }
    /// <summary>The machine, e.g. "AMD EPYC 9B45, 2 cores, 24 GiB, Linux".</summary>
    public required string Machine { get; init; }
    /// <summary>The repository commit the run used (with "+changes" when the checkout had uncommitted changes).</summary>
    public required string Commit { get; init; }
    /// <summary>The libtorch and TorchSharp in use.</summary>
    public required string Runtime { get; init; }
    /// <summary>Wall seconds from <see cref="Start"/> to the last <see cref="Save"/>.</summary>
    public double WallSeconds { get; set; }
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

    /// <summary>Records (or replaces) a number.</summary>
    public RecordedValue Add(string key, double value, string unit, string what)
    {
        Values.RemoveAll(v => v.Key == key);
        var recorded = new RecordedValue(key, value, unit, what);
        Values.Add(recorded);
        return recorded;
    }

    /// <summary>The value named <paramref name="key"/>, if recorded.</summary>
    public RecordedValue? this[string key] => Values.FirstOrDefault(v => v.Key == key);

    /// <summary>Writes the record (full profile: into the registry, notebooks/results/; quick: notebooks/output/); returns the path.</summary>
    public string Save()
    {
        WallSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 1);
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
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return string.Create(CultureInfo.InvariantCulture, $"{cpu}, {Environment.ProcessorCount} cores, {memory:F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
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

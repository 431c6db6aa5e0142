using System.Globalization;
using System.Text.Json;

namespace ClassifierKit.Benchmarks;

/// <summary>The GEMM peak a row's GFLOP/s is a share of: its value, and where it comes from (said beside every share).</summary>
public sealed record PeakReference(string DType, double Gflops, string Source);

/// <summary>
/// The GEMM peaks each CPU has reached, kept across runs in <c>results/gemm-peaks.json</c>: per CPU (model, features,
/// family/model/stepping), thread count, dtype and matrix size, the highest single repeat ever measured there by a full run
/// of at least <see cref="MinRepeats"/> repeats. One run's peak is a poor denominator: the bfloat16 GEMM of one CPU moved by a
/// tenth between runs minutes apart, and on another from 573 to 1,307 GFLOP/s between repeats of one run. The best repeat
/// is a bound the hardware has shown it can reach, and a higher one only comes from the hardware, never from noise.
/// </summary>
public sealed class PeakRecord
{
    /// <summary>Fewer repeats than this never become the record: the peak is the best of many.</summary>
    public const int MinRepeats = 20;

    /// <summary>One recorded peak: where, what, the value, and the run that measured it.</summary>
    public sealed record Entry(string Cpu, int Threads, string DType, int N, double Gflops, int Repeats, double RunMedian, string Date, string LibTorch);

    /// <summary>The committed record next to compare-pytorch's results.</summary>
    public static string DefaultPath => Path.Combine(BenchmarkRunner.RepoRoot(), "tests", "ClassifierKit.Benchmarks", "results", "gemm-peaks.json");

    readonly List<Entry> _entries;

    PeakRecord(IEnumerable<Entry> entries) => _entries = entries.ToList();

    /// <summary>Every recorded peak, one per CPU, threads, dtype and size.</summary>
    public IReadOnlyList<Entry> Entries => _entries;

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads the record; a missing file is an empty record. A file that does not parse is refused, naming it and the fix.</summary>
    public static PeakRecord Load(string path)
    {
        if (!File.Exists(path)) return new PeakRecord([]);
        try
        {
            var file = JsonSerializer.Deserialize<PeakFile>(File.ReadAllText(path));
            return new PeakRecord(file?.Peaks ?? []);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a GEMM peak record ({e.Message}); restore it with git checkout, or delete it to start a new record.", e);
        }
    }

    /// <summary>The recorded peak for this CPU, threads, dtype and size, if any.</summary>
    public Entry? Find(string cpu, int threads, string dtype, int n) =>
        _entries.FirstOrDefault(e => e.Cpu == cpu && e.Threads == threads && e.DType == dtype && e.N == n);

    /// <summary>
    /// Offers a run's GEMM row: it becomes the record when it has at least <see cref="MinRepeats"/> repeats and its best repeat
    /// is above the recorded one (or none is recorded). Returns the new entry, or null when the run did not count.
    /// </summary>
    public Entry? Offer(GemmResult g, string cpu, int threads, DateTime when, string libTorch)
    {
        if (g.GflopsPerRepeat.Count < MinRepeats) return null;
        var old = Find(cpu, threads, g.DType, g.N);
        if (old is not null && old.Gflops >= g.MaxGflops) return null;
        var entry = new Entry(cpu, threads, g.DType, g.N, Math.Round(g.MaxGflops, 1), g.GflopsPerRepeat.Count, Math.Round(g.MedianGflops, 1),
            when.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), libTorch);
        if (old is not null) _entries[_entries.IndexOf(old)] = entry;
        else _entries.Add(entry);
        return entry;
    }

    /// <summary>
    /// The peak a row of <paramref name="dtype"/> is a share of: the higher of the recorded peak and this run's best repeat;
    /// null when this run measured no GEMM of that dtype and nothing is recorded.
    /// </summary>
    public PeakReference? Reference(string dtype, GemmResult? thisRun, string cpu, int threads, int n)
    {
        var recorded = Find(cpu, threads, dtype, n);
        if (thisRun is not null && (recorded is null || thisRun.MaxGflops > recorded.Gflops))
            return new PeakReference(dtype, thisRun.MaxGflops, thisRun.GflopsPerRepeat.Count >= MinRepeats
                ? $"this run's best of {thisRun.GflopsPerRepeat.Count} repeats, the best on this CPU"
                : $"this run's best of {thisRun.GflopsPerRepeat.Count} repeats; no peak recorded on this CPU yet: a full run records one");
        return recorded is null ? null
            : new PeakReference(dtype, recorded.Gflops, $"the best of {recorded.Repeats} repeats recorded on this CPU, {recorded.Date}");
    }

    /// <summary>Writes the record, sorted, with a line saying what it is.</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var file = new PeakFile
        {
            About = $"Written by the ClassifierKit benchmark: per CPU, threads, dtype and matrix size, the best single repeat of an n x n torch.mm " +
                    $"(GFLOP/s) ever measured by a full run of at least {MinRepeats} repeats; the 'of peak' shares divide by it.",
            Peaks = _entries.OrderBy(e => e.Cpu, StringComparer.Ordinal).ThenBy(e => e.Threads).ThenBy(e => e.DType, StringComparer.Ordinal).ThenBy(e => e.N).ToList(),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(file, Json) + "\n");
    }

    sealed class PeakFile
    {
        public string? About { get; set; }
        public List<Entry>? Peaks { get; set; }
    }
}

namespace ClassifierKit.Data;

/// <summary>
/// Keeps each dataset split that was read from disk once per process and hands out views of it. Notebooks re-run their data
/// cells all the time; without this every re-run read (and kept) another copy of the split (measured: about 186 MB per
/// re-run of a CIFAR-10 cell). An entry is keyed by its files' paths, sizes and modification times, so a changed, replaced
/// or truncated file is read again (and checked again).
/// </summary>
static class DatasetCache
{
    static readonly object Gate = new();
    static readonly Dictionary<string, (string Identity, ImageDataset Data)> Entries = new();

    /// <summary>A new view of the split stored in <paramref name="files"/>, reading it with <paramref name="read"/> when not cached.</summary>
    public static ImageDataset GetOrRead(IReadOnlyList<string> files, Func<ImageDataset> read)
    {
        var key = string.Join("|", files.Select(Path.GetFullPath));
        lock (Gate)
        {
            var identity = Identity(files);
            if (Entries.TryGetValue(key, out var entry) && entry.Identity == identity) return entry.Data.View();
            var data = read();
            // The views handed out before stay valid: each owns a handle that keeps the old pixels alive until disposed.
            if (Entries.TryGetValue(key, out var stale)) stale.Data.Dispose();
            Entries[key] = (identity, data);
            return data.View();
        }
    }

    static string Identity(IReadOnlyList<string> files) =>
        string.Join("|", files.Select(f => new FileInfo(f) is { Exists: true } i ? $"{i.Length}@{i.LastWriteTimeUtc.Ticks}" : "missing"));
}

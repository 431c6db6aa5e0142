using ClassifierKit.Platform;
using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>
/// CIFAR-10 from its official binary layout (cifar-10-batches-bin/). We read the batch files ourselves rather than
/// through TorchVision's CIFAR10 dataset because the training path wants the whole split as one uint8 tensor
/// (one read, no per-image work); TorchVision's dataset reads the same folder when you prefer it.
/// </summary>
public static class Cifar10
{
    /// <summary>The official archive.</summary>
    public const string OfficialUrl = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

    /// <summary>MD5 of the official archive.</summary>
    public const string OfficialMd5 = "c32a1d4ab5d03f1284b67883e8d87530";

    /// <summary>Environment variable naming a local copy: a folder holding cifar-10-batches-bin/ or the .tar.gz itself.</summary>
    public const string SourceVariable = "CIFAR10_SOURCE";

    /// <summary>Environment variable overriding the download URL (a mirror).</summary>
    public const string UrlVariable = "CIFAR10_URL";

    /// <summary>The folder inside the archive and inside the cache.</summary>
    public const string FolderName = "cifar-10-batches-bin";

    /// <summary>Class names in label order, as CIFAR-10's batches.meta.txt lists them.</summary>
    public static readonly string[] Classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>The blog's short names, used in printed label lines.</summary>
    public static readonly string[] ShortClasses = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    const int Side = 32, Channels = 3, RowBytes = 1 + Channels * Side * Side, RowsPerFile = 10_000;
    static readonly string[] TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    const string TestFile = "test_batch.bin";
    static readonly string[] AllFiles = [.. TrainFiles, TestFile];

    /// <summary>
    /// Loads the training (50,000) or test (10,000) split as uint8 [N, 3, 32, 32] with int64 labels.
    /// The data is looked for in <paramref name="root"/> (default <see cref="Locations.DataRoot"/>)/CIFAR10/cifar-10-batches-bin,
    /// fetched from <paramref name="source"/> or $CIFAR10_SOURCE when given, else downloaded when <paramref name="download"/> is true.
    /// Each split is read from disk once per process (again only when a file changes); every call returns a new view of it,
    /// so re-running a notebook cell costs no memory.
    /// </summary>
    /// <param name="train">true for the five training batches, false for the test batch.</param>
    /// <param name="root">The dataset cache folder; default <see cref="Locations.DataRoot"/>.</param>
    /// <param name="source">A local copy: a folder holding cifar-10-batches-bin/, or the .tar.gz; default $CIFAR10_SOURCE.</param>
    /// <param name="download">Whether to download the archive when neither the cache nor a source has the data.</param>
    /// <param name="report">Receives progress lines; default Console.WriteLine.</param>
    /// <param name="url">Where to download the archive from; default $CIFAR10_URL, else <see cref="OfficialUrl"/>.</param>
    /// <param name="md5">The downloaded archive's expected MD5; default <see cref="OfficialMd5"/>.</param>
    public static ImageDataset Load(bool train, string? root = null, string? source = null, bool download = true, Action<string>? report = null,
        string? url = null, string? md5 = null)
    {
        var folder = EnsureAvailable(root, source, download, report, url, md5);
        var files = (train ? TrainFiles : [TestFile]).Select(f => Path.Combine(folder, f)).ToArray();
        return DatasetCache.GetOrRead(files, () => ReadBatchFiles(files, RowsPerFile));
    }

    /// <summary>
    /// The folder that holds the batch files, fetching or downloading it first if needed (parameters as in <see cref="Load"/>).
    /// A download lands in the cache as cifar-10-binary.tar.gz (resumable through a .part file, checked against
    /// <paramref name="md5"/>) and is unpacked in one rename, so the cache never holds a half-written folder.
    /// </summary>
    public static string EnsureAvailable(string? root = null, string? source = null, bool download = true, Action<string>? report = null,
        string? url = null, string? md5 = null)
    {
        report ??= Console.WriteLine;
        source ??= Environment.GetEnvironmentVariable(SourceVariable);
        if (!string.IsNullOrWhiteSpace(source))
        {
            var local = FromSource(source, root, report);
            if (local != null) return local;
        }
        var cacheDir = Path.Combine(root ?? Locations.DataRoot, "CIFAR10");
        var folder = Path.Combine(cacheDir, FolderName);
        if (IsComplete(folder)) return folder;
        if (!download)
            throw new DatasetException(
                $"CIFAR-10 not found in {folder}. Download it from {OfficialUrl} and pass its path as source " +
                $"(or set {SourceVariable}), or call with download: true.");

        var archive = Path.Combine(cacheDir, "cifar-10-binary.tar.gz");
        if (string.IsNullOrWhiteSpace(url)) url = Environment.GetEnvironmentVariable(UrlVariable);
        if (string.IsNullOrWhiteSpace(url)) url = OfficialUrl;
        if (!File.Exists(archive))
        {
            report($"Downloading CIFAR-10 from {url} to {archive}");
            Downloader.DownloadFile(url, archive, md5 ?? OfficialMd5, report);
        }
        Downloader.EnsureWritable(cacheDir);
        report($"Extracting {archive}");
        try
        {
            return Downloader.ExtractFolder(archive, cacheDir, FolderName,
                fix: $"It was deleted; load again to download it afresh, and check that {url} serves the CIFAR-10 binary version.",
                requiredFiles: AllFiles);
        }
        catch (DatasetException) when (File.Exists(archive))
        {
            File.Delete(archive); // a bad archive in the cache would fail every later call the same way
            throw;
        }
    }

    static string? FromSource(string source, string? root, Action<string> report)
    {
        if (Directory.Exists(source))
        {
            foreach (var candidate in new[] { source, Path.Combine(source, FolderName), Path.Combine(source, "CIFAR10", FolderName) })
                if (IsComplete(candidate)) return candidate;
            throw new DatasetException(
                $"{SourceVariable} or source points to {source}, which holds no complete {FolderName}/ " +
                "(data_batch_1.bin .. data_batch_5.bin and test_batch.bin). Point it at the folder that contains them.");
        }
        if (File.Exists(source))
        {
            var cacheDir = Path.Combine(root ?? Locations.DataRoot, "CIFAR10");
            var folder = Path.Combine(cacheDir, FolderName);
            if (IsComplete(folder)) return folder;
            var md5 = Downloader.Md5Of(source);
            if (!string.Equals(md5, OfficialMd5, StringComparison.OrdinalIgnoreCase))
                report($"note: {source} has MD5 {md5}, not the official {OfficialMd5}; using it anyway since you chose it.");
            report($"Extracting {source}");
            return Downloader.ExtractFolder(source, cacheDir, FolderName,
                fix: $"Point {SourceVariable} or source at the official cifar-10-binary.tar.gz (from {OfficialUrl}) or at the folder extracted from it.",
                requiredFiles: AllFiles);
        }
        throw new DatasetException($"{SourceVariable} or source is '{source}', which does not exist. Fix the path or unset it.");
    }

    static bool IsComplete(string folder) =>
        AllFiles.All(f => File.Exists(Path.Combine(folder, f)));

    /// <summary>Reads batch files in the official format (rows of 1 label byte + 3,072 pixel bytes) into one dataset.</summary>
    /// <param name="files">The batch files, concatenated in the order given.</param>
    public static ImageDataset ReadBatchFiles(params string[] files) => ReadBatchFiles(files, rowsPerFile: null);

    /// <summary>As <see cref="ReadBatchFiles(string[])"/>; with <paramref name="rowsPerFile"/> every file must hold exactly that many rows.</summary>
    public static ImageDataset ReadBatchFiles(string[] files, int? rowsPerFile)
    {
        var sizes = files.Select(f => File.Exists(f)
            ? new FileInfo(f).Length
            : throw new DatasetException($"{f} is missing. Re-extract CIFAR-10 (delete its folder and load again) or fix the path.")).ToArray();
        const string fix = "Delete the cifar-10-batches-bin folder and load again to re-extract or re-download it.";
        for (int i = 0; i < files.Length; i++)
        {
            if (rowsPerFile is { } expected && sizes[i] != (long)expected * RowBytes)
                throw new DatasetException(
                    $"{files[i]} has {sizes[i]:N0} bytes, but an official CIFAR-10 batch file has exactly {(long)expected * RowBytes:N0} " +
                    $"({expected:N0} rows of {RowBytes:N0} bytes): it is truncated or not a CIFAR-10 batch. {fix}");
            if (sizes[i] == 0 || sizes[i] % RowBytes != 0)
                throw new DatasetException(
                    $"{files[i]} has {sizes[i]:N0} bytes, which is not a whole number of {RowBytes}-byte rows " +
                    $"(an official batch file has {RowsPerFile * RowBytes:N0}): it is truncated or not a CIFAR-10 batch. {fix}");
        }

        var bytes = new byte[sizes.Sum()];
        long offset = 0;
        foreach (var f in files)
        {
            using var stream = File.OpenRead(f);
            stream.ReadExactly(bytes, (int)offset, (int)stream.Length);
            offset += stream.Length;
        }
        int rows = (int)(bytes.Length / RowBytes);
        CheckLabels(bytes, rows, files, sizes);

        using var scope = NewDisposeScope();
        var table = tensor(bytes, ScalarType.Byte).view(rows, RowBytes);
        var labels = table[.., 0].to(ScalarType.Int64);
        var images = table[.., 1..].reshape(rows, Channels, Side, Side).contiguous();
        return new ImageDataset(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), Classes);
    }

    static void CheckLabels(byte[] bytes, int rows, string[] files, long[] sizes)
    {
        for (int r = 0; r < rows; r++)
        {
            var label = bytes[(long)r * RowBytes];
            if (label < Classes.Length) continue;
            long start = 0; int file = 0;
            while (start + sizes[file] <= (long)r * RowBytes) start += sizes[file++];
            throw new DatasetException(
                $"{files[file]}, row {((long)r * RowBytes - start) / RowBytes}: label {label} is out of range 0..9, so the file is corrupt. " +
                "Delete the cifar-10-batches-bin folder and load again to re-extract or re-download it.");
        }
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using ClassifierKit.Platform;
using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>Fashion-MNIST from its four original idx .gz files, as uint8 [N, 1, 28, 28] with int64 labels.</summary>
public static class FashionMnist
{
    /// <summary>Where the official files live.</summary>
    public const string OfficialBaseUrl = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>Where Debian's dataset-fashion-mnist package installs them.</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Environment variable naming a folder that holds the four .gz files.</summary>
    public const string SourceVariable = "FASHION_MNIST_SOURCE";

    /// <summary>Environment variable overriding the download base URL (a mirror).</summary>
    public const string UrlVariable = "FASHION_MNIST_URL";

    /// <summary>Class names in label order.</summary>
    public static readonly string[] Classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The four files and their official MD5s.</summary>
    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        ["train-labels-idx1-ubyte.gz"] = "25c81989df183df01b3e8a0aad5dffbe",
        ["t10k-images-idx3-ubyte.gz"] = "bef4ecab320f06d8554ea6380940ec79",
        ["t10k-labels-idx1-ubyte.gz"] = "bb300cfdad3c16e7a12a480ee83cd310",
    };

    const int ImagesMagic = 2051, LabelsMagic = 2049;

    /// <summary>
    /// Loads the training (60,000) or test (10,000) split. Looks in <paramref name="source"/>, $FASHION_MNIST_SOURCE,
    /// Debian's folder, then the cache (<paramref name="root"/>/FashionMNIST), downloading there when allowed. Each split is read
    /// once per process; every call returns a new view of it.
    /// </summary>
    public static ImageDataset Load(bool train, string? root = null, string? source = null, bool download = true, Action<string>? report = null)
    {
        var folder = EnsureAvailable(root, source, download, report);
        var prefix = train ? "train" : "t10k";
        string images = Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), labels = Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz");
        return DatasetCache.GetOrRead([images, labels], () => Read(images, labels));
    }

    /// <summary>The folder holding the four files, downloading them into the cache first if needed.</summary>
    public static string EnsureAvailable(string? root = null, string? source = null, bool download = true, Action<string>? report = null)
    {
        source ??= Environment.GetEnvironmentVariable(SourceVariable);
        if (!string.IsNullOrWhiteSpace(source))
        {
            if (HasAll(source)) return source;
            throw new DatasetException($"{source} (from source or {SourceVariable}) lacks some of {string.Join(", ", Files.Keys)}. Point it at the folder that holds all four.");
        }
        if (HasAll(DebianFolder)) return DebianFolder;
        var cache = Path.Combine(root ?? Locations.DataRoot, "FashionMNIST");
        if (HasAll(cache)) return cache;
        if (!download)
            throw new DatasetException(
                $"Fashion-MNIST not found in {cache}. On Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist; " +
                $"or download the four files from {OfficialBaseUrl} and set {SourceVariable} to their folder.");
        var baseUrl = Environment.GetEnvironmentVariable(UrlVariable);
        if (string.IsNullOrWhiteSpace(baseUrl)) baseUrl = OfficialBaseUrl;
        foreach (var (file, md5) in Files)
            if (!File.Exists(Path.Combine(cache, file)))
                Downloader.DownloadFile(baseUrl.TrimEnd('/') + "/" + file, Path.Combine(cache, file), md5, report);
        return cache;
    }

    static bool HasAll(string folder) => Files.Keys.All(f => File.Exists(Path.Combine(folder, f)));

    /// <summary>Reads one idx3 images file and its idx1 labels file (gzip-compressed).</summary>
    public static ImageDataset Read(string imagesFile, string labelsFile)
    {
        var images = ReadIdx(imagesFile, ImagesMagic, 3);
        var labels = ReadIdx(labelsFile, LabelsMagic, 1);
        var (n, rows, cols) = (images.Dims[0], images.Dims[1], images.Dims[2]);
        if (labels.Dims[0] != n)
            throw new DatasetException($"{imagesFile} holds {n:N0} images but {labelsFile} holds {labels.Dims[0]:N0} labels; one of them is from another release. Replace both.");
        var bad = Array.FindIndex(labels.Data, l => l >= Classes.Length);
        if (bad >= 0)
            throw new DatasetException($"{labelsFile}, item {bad}: label {labels.Data[bad]} is out of range 0..9; the file is corrupt. Delete it and load again.");

        using var scope = NewDisposeScope();
        var x = tensor(images.Data, ScalarType.Byte).view(n, 1, rows, cols);
        var y = tensor(labels.Data, ScalarType.Byte).to(ScalarType.Int64);
        return new ImageDataset(x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope(), Classes);
    }

    sealed record Idx(int[] Dims, byte[] Data);

    static Idx ReadIdx(string path, int magic, int rank)
    {
        if (!File.Exists(path))
            throw new DatasetException($"{path} is missing. Install dataset-fashion-mnist or set {SourceVariable} to the folder with the four .gz files.");
        byte[] bytes;
        try
        {
            using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var memory = new MemoryStream();
            gz.CopyTo(memory);
            bytes = memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DatasetException($"{path} is not a valid gzip file ({e.Message}); it is truncated or corrupt. Delete it and load again.", e);
        }
        int header = 4 + 4 * rank;
        // the magic number first: a labels file passed as images is short too, but "wrong file" is the useful diagnosis
        if (bytes.Length >= 4 && BinaryPrimitives.ReadInt32BigEndian(bytes) is var found && found != magic)
            throw new DatasetException(
                $"{path} starts with magic number {found}, expected {magic} ({(magic == ImagesMagic ? "idx3 images" : "idx1 labels")}); " +
                "it is the wrong file or corrupt. Check which file is passed as images and which as labels, or delete it and load again.");
        if (bytes.Length < header)
            throw new DatasetException($"{path} is only {bytes.Length} bytes after decompression; it is truncated. Delete it and load again.");
        var dims = Enumerable.Range(0, rank).Select(i => BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i))).ToArray();
        long expected = header + dims.Aggregate(1L, (a, d) => a * d);
        if (bytes.Length != expected)
            throw new DatasetException($"{path} has {bytes.Length:N0} bytes after decompression but its header promises {expected:N0}; it is truncated or corrupt. Delete it and load again.");
        return new Idx(dims, bytes[header..]);
    }
}

using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using ClassifierKit.Data;
using ClassifierKit.Platform;

namespace ClassifierKit.Tests.Data;

/// <summary>Where the real datasets are, and fixtures written from first principles.</summary>
static class TestData
{
    /// <summary>
    /// The data root that holds the real CIFAR-10 (CIFAR10/cifar-10-batches-bin): <see cref="Locations.DataRoot"/>, which is
    /// $CLASSIFIERKIT_DATA when set, else the checkout's data/ folder. Fails (never skips) with the way to prepare it when missing.
    /// </summary>
    public static string CifarRoot
    {
        get
        {
            var root = Locations.DataRoot;
            if (Directory.Exists(Path.Combine(root, "CIFAR10", Cifar10.FolderName))) return root;
            var fromEnv = Environment.GetEnvironmentVariable(Locations.DataVariable);
            var where = string.IsNullOrWhiteSpace(fromEnv)
                ? $"{Locations.DataVariable} is not set and the default data root {root}"
                : $"{Locations.DataVariable}={fromEnv}";
            throw new InvalidOperationException(
                $"The real-data tests need CIFAR-10 in its official binary layout, but {where} has no CIFAR10/{Cifar10.FolderName}/. " +
                "Prepare it from the repository root with `../shared/tools/prepare-cifar10 data/CIFAR10`, " +
                $"or set {Locations.DataVariable} to a folder that holds CIFAR10/{Cifar10.FolderName}/.");
        }
    }

    /// <summary>The folder of the real CIFAR-10 batch files.</summary>
    public static string CifarFolder => Path.Combine(CifarRoot, "CIFAR10", Cifar10.FolderName);

    public const int Side = 32, PlaneBytes = Side * Side, RowBytes = 1 + 3 * PlaneBytes;

    /// <summary>The pixel value a test-written CIFAR row holds at [channel, h, w] (distinct per plane, row and column).</summary>
    public static byte Pixel(int seed, int c, int h, int w) => (byte)(seed * 31 + c * 85 + h * 7 + w * 3);

    /// <summary>One official-format row: 1 label byte, then the R plane, G plane, B plane, each 32 rows of 32 pixels.</summary>
    public static byte[] CifarRow(int label, int seed)
    {
        var row = new byte[RowBytes];
        row[0] = (byte)label;
        for (int c = 0; c < 3; c++)
            for (int h = 0; h < Side; h++)
                for (int w = 0; w < Side; w++)
                    row[1 + c * PlaneBytes + h * Side + w] = Pixel(seed, c, h, w);
        return row;
    }

    /// <summary>Rows of random pixels (so an archive of them does not compress to almost nothing).</summary>
    public static byte[] RandomRows(int rows, int seed, Func<int, int> label)
    {
        var bytes = new byte[rows * RowBytes];
        new Random(seed).NextBytes(bytes);
        for (int r = 0; r < rows; r++) bytes[r * RowBytes] = (byte)label(r);
        return bytes;
    }

    public static readonly string[] TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    public const string TestFile = "test_batch.bin";

    /// <summary>The six batch files of a miniature CIFAR-10: <paramref name="rows"/> random rows each, labels cycling through 0..9.</summary>
    public static Dictionary<string, byte[]> MiniCifar(int rows = 3) =>
        TrainFiles.Append(TestFile).Select((f, i) => (f, RandomRows(rows, seed: 100 + i, label: r => (i * rows + r) % 10)))
            .ToDictionary(x => x.f, x => x.Item2);

    /// <summary>Writes the batch files into <paramref name="folder"/> (created).</summary>
    public static string WriteFolder(string folder, Dictionary<string, byte[]> files)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(folder, name), bytes);
        return folder;
    }

    /// <summary>A .tar.gz in the official layout: cifar-10-batches-bin/ holding the given files and batches.meta.txt.</summary>
    public static byte[] TarGz(Dictionary<string, byte[]> files, string folder = Cifar10.FolderName)
    {
        using var memory = new MemoryStream();
        using (var gz = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, folder + "/"));
            var meta = System.Text.Encoding.ASCII.GetBytes(string.Join("\n", Cifar10.Classes) + "\n");
            foreach (var (name, bytes) in files.Append(new("batches.meta.txt", meta)))
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"{folder}/{name}") { DataStream = new MemoryStream(bytes) });
        }
        return memory.ToArray();
    }

    /// <summary>What <see cref="Cifar10.Load"/> does, minus its check that each file holds the official 10,000 rows: the
    /// miniature sets these tests write hold a few rows per file.</summary>
    public static ImageDataset LoadMini(bool train, string? root = null, string? source = null, bool download = true,
        Action<string>? report = null, string? url = null, string? md5 = null)
    {
        var folder = Cifar10.EnsureAvailable(root, source, download, report, url, md5);
        return Cifar10.ReadBatchFiles((train ? TrainFiles : [TestFile]).Select(f => Path.Combine(folder, f)).ToArray());
    }

    public static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    /// <summary>Asserts that <paramref name="data"/> holds exactly the rows of the given official-format batch files, in order.</summary>
    public static void AssertHoldsRows(ImageDataset data, params byte[][] files)
    {
        var (images, labels) = Expected(files);
        Assert.Equal([labels.Length, 3L, Side, Side], data.Images.shape);
        Assert.Equal(labels, data.Labels.data<long>().ToArray());
        Assert.Equal(images, data.Images.contiguous().data<byte>().ToArray());
    }

    /// <summary>What a dataset read from official-format rows must hold: the rows without their label bytes, and the labels.</summary>
    public static (byte[] Images, long[] Labels) Expected(params byte[][] files)
    {
        var all = files.SelectMany(f => f).ToArray();
        int rows = all.Length / RowBytes;
        var images = Enumerable.Range(0, rows).SelectMany(r => all.Skip(r * RowBytes + 1).Take(RowBytes - 1)).ToArray();
        var labels = Enumerable.Range(0, rows).Select(r => (long)all[r * RowBytes]).ToArray();
        return (images, labels);
    }
}

/// <summary>A fresh temporary folder, deleted afterwards.</summary>
sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("classifierkit-test-").FullName;
    public string this[string relative] => System.IO.Path.Combine(Path, relative);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

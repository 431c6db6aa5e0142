using ClassifierKit.Data;

namespace ClassifierKit.Benchmarks;

/// <summary>
/// The datasets the rows read, each loaded once on first use with the library's loaders (CIFAR-10 via
/// <see cref="Cifar10.Load"/>, Fashion-MNIST via <see cref="FashionMnist.Load"/>), kept on the CPU as the notebooks do.
/// The quick setting uses the first <see cref="QuickImages"/> test images instead, so it starts fast.
/// </summary>
public sealed class BenchmarkData : IDisposable
{
    /// <summary>Images per split in the quick setting (enough for one full eval batch of 1000).</summary>
    public const int QuickImages = 2000;

    readonly bool quick;
    readonly Action<string> report;
    readonly Dictionary<DataSplit, ImageDataset> loaded = new();

    public BenchmarkData(bool quick, Action<string> report)
    {
        this.quick = quick;
        this.report = report;
    }

    /// <summary>The split's dataset (owned here).</summary>
    public ImageDataset Get(DataSplit split)
    {
        if (quick && split == DataSplit.CifarTrain) split = DataSplit.CifarTest; // one quick subset serves both
        if (loaded.TryGetValue(split, out var d)) return d;
        d = Load(split);
        loaded[split] = d;
        report($"data: {Describe(split)}: {d.Count:N0} images [{string.Join("x", d.Images.shape.Skip(1))}]");
        return d;
    }

    string Describe(DataSplit split) => (split, quick) switch
    {
        (DataSplit.FashionMnistTrain, true) => "Fashion-MNIST test split (quick subset)",
        (DataSplit.FashionMnistTrain, false) => "Fashion-MNIST train split",
        (_, true) => "CIFAR-10 test split (quick subset, for the train rows too)",
        (DataSplit.CifarTrain, false) => "CIFAR-10 train split",
        _ => "CIFAR-10 test split",
    };

    ImageDataset Load(DataSplit split)
    {
        if (!quick)
            return split == DataSplit.FashionMnistTrain
                ? FashionMnist.Load(train: true, report: report)
                : Cifar10.Load(train: split == DataSplit.CifarTrain, report: report);
        using var full = split == DataSplit.FashionMnistTrain
            ? FashionMnist.Load(train: false, report: report)
            : Cifar10.Load(train: false, report: report);
        return full.Take(QuickImages);
    }

    public void Dispose()
    {
        foreach (var d in loaded.Values) d.Dispose();
        loaded.Clear();
    }
}

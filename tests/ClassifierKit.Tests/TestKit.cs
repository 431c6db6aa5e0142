using ClassifierKit.Data;
using ClassifierKit.Platform;
using ClassifierKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests;

static class TestKit
{
    public static readonly string[] Cifar10Classes = { "plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };

    /// <summary>A tiny conv net with BatchNorm, so running statistics (buffers) are part of every state check.</summary>
    public static nn.Module<Tensor, Tensor> TinyNet(int width = 8, int classes = 10) => nn.Sequential(
        ("conv1", nn.Conv2d(3, width, 3, padding: 1)),
        ("bn1", nn.BatchNorm2d(width)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(width, 2 * width, 3, padding: 1)),
        ("bn2", nn.BatchNorm2d(2 * width)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.AdaptiveAvgPool2d(1)),
        ("flat", nn.Flatten()),
        ("fc", nn.Linear(2 * width, classes)));

    /// <summary>Random uint8 images whose label is brightness-coded, so a model can learn something quickly.</summary>
    public static ImageDataset Synthetic(int n, int size = 12, int classes = 10, long seed = 1)
    {
        using var g = new Generator((ulong)seed, CPU);
        var labels = randint(0, classes, new long[] { n }, generator: g);
        var noise = randint(0, 64, new long[] { n, 3, size, size }, generator: g);
        var images = (noise + labels.view(n, 1, 1, 1) * (190 / classes)).to(ScalarType.Byte);
        noise.Dispose();
        return new ImageDataset(images, labels, Cifar10Classes.Take(classes).ToArray());
    }

    /// <summary>The first <paramref name="n"/> rows of a real CIFAR-10 binary batch file (1 label byte + 3072 RGB-plane bytes each).</summary>
    public static ImageDataset CifarRows(string file, int n)
    {
        var path = Path.Combine(Data.TestData.CifarFolder, file);
        var raw = new byte[n * 3073];
        using (var f = File.OpenRead(path)) f.ReadExactly(raw);
        using var rows = tensor(raw, ScalarType.Byte).view(n, 3073);
        var labels = rows[.., 0].to(ScalarType.Int64);
        var images = rows[.., 1..].reshape(n, 3, 32, 32).clone();
        return new ImageDataset(images, labels, Cifar10Classes);
    }

    public static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());

    public static void AssertSameState(Dictionary<string, Tensor> expected, nn.Module model) => AssertSameState(expected, model.state_dict());

    public static void AssertSameState(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.OrderBy(k => k), actual.Keys.OrderBy(k => k));
        foreach (var (k, v) in expected)
            Assert.True(TestKit.Same(v, actual[k]), $"state '{k}' differs");
    }

    /// <summary>Same dtype, shape and every element (bitwise for finite values).</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b.to(a.device));
        using var all = eq.all();
        return all.item<bool>();
    }

    public static TrainingOptions Quiet(int epochs) => new() { Epochs = epochs, PrintEvery = 0, Progress = SilentProgressReporter.Instance };
}

/// <summary>Keeps everything a reporter receives.</summary>
sealed class RecordingReporter : IProgressReporter
{
    public List<string> Messages { get; } = new();
    public List<TrainingProgress> Progress { get; } = new();
    public List<EpochRecord> Epochs { get; } = new();
    public Action<EpochRecord>? EpochHook { get; init; }
    public void OnProgress(TrainingProgress progress) => Progress.Add(progress);
    public void OnMessage(string line) => Messages.Add(line);
    public void OnEpochEnd(EpochRecord epoch)
    {
        Epochs.Add(epoch);
        EpochHook?.Invoke(epoch);
    }
}

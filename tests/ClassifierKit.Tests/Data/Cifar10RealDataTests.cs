using ClassifierKit.Data;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Data;

/// <summary>Both real CIFAR-10 splits, loaded once for the class.</summary>
public sealed class RealCifar10 : IDisposable
{
    public ImageDataset Train { get; } = Cifar10.Load(train: true, root: TestData.CifarRoot, download: false, report: _ => { });
    public ImageDataset Test { get; } = Cifar10.Load(train: false, root: TestData.CifarRoot, download: false, report: _ => { });
    public void Dispose() { Train.Dispose(); Test.Dispose(); }
}

public sealed class Cifar10RealDataTests(RealCifar10 data) : IClassFixture<RealCifar10>
{
    [Fact]
    public void The_training_split_has_50000_uint8_images_of_3x32x32_and_5000_per_class()
    {
        Assert.Equal(50_000, data.Train.Count);
        Assert.Equal([50_000L, 3, 32, 32], data.Train.Images.shape);
        Assert.Equal(ScalarType.Byte, data.Train.Images.dtype);
        Assert.Equal([50_000L], data.Train.Labels.shape);
        Assert.Equal(ScalarType.Int64, data.Train.Labels.dtype);
        Assert.Equal(Enumerable.Repeat(5_000L, 10), data.Train.ClassCounts());
    }

    [Fact]
    public void The_test_split_has_10000_uint8_images_of_3x32x32_and_1000_per_class()
    {
        Assert.Equal(10_000, data.Test.Count);
        Assert.Equal([10_000L, 3, 32, 32], data.Test.Images.shape);
        Assert.Equal(ScalarType.Byte, data.Test.Images.dtype);
        Assert.Equal(Enumerable.Repeat(1_000L, 10), data.Test.ClassCounts());
    }

    [Fact]
    public void Half_normalization_maps_real_pixels_onto_minus_one_to_one_and_reaches_both_ends()
    {
        foreach (var split in new[] { data.Train, data.Test })
        {
            using var scope = NewDisposeScope();
            var x = Normalization.Half().Apply(split.Images);
            Assert.Equal(ScalarType.Float32, x.dtype);
            Assert.Equal(split.Images.shape, x.shape);
            float min = x.min().item<float>(), max = x.max().item<float>();
            Assert.InRange(min, -1f, -0.99f);
            Assert.InRange(max, 0.99f, 1f);
        }
    }

    [Fact]
    public void The_dataset_lists_the_ten_classes_in_label_order()
    {
        string[] expected = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
        Assert.Equal(expected, data.Train.Classes);
        Assert.Equal(expected, data.Test.Classes);
        Assert.Equal(["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"], Cifar10.ShortClasses);
    }

    [Fact]
    public void The_classes_match_the_batches_meta_file_shipped_with_the_data()
    {
        var meta = Path.Combine(TestData.CifarRoot, "CIFAR10", Cifar10.FolderName, "batches.meta.txt");
        Assert.True(File.Exists(meta), $"{meta} is missing from the prepared data");
        var names = File.ReadAllLines(meta).Select(l => l.Trim()).Where(l => l.Length > 0);
        Assert.Equal(Cifar10.Classes, names);
    }
}

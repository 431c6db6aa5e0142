using ClassifierKit.Data;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Data;

[Collection(GlobalRng.Name)] // one test writes into the cached CIFAR-10 split (and restores it); it must run alone
public class ImageDatasetTests
{
    // Whether two tensors share their pixels: a write through one shows through the other (then it is undone).
    static bool SharePixels(Tensor a, Tensor b)
    {
        var before = a[0, 0, 0, 0].item<byte>();
        a[0, 0, 0, 0] = tensor((byte)(before ^ 0xFF));
        bool shared = b[0, 0, 0, 0].item<byte>() == (byte)(before ^ 0xFF);
        a[0, 0, 0, 0] = tensor(before);
        return shared;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Take_of_less_than_one_image_is_refused(long count)
    {
        using var data = TestKit.Synthetic(10);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => data.Take(count));
        Assert.Contains("at least 1 image", e.Message);
    }

    [Fact]
    public void Take_is_a_view_that_stays_valid_after_its_source_is_disposed()
    {
        var data = TestKit.Synthetic(10);
        using var first = data.Take(4);
        using var expected = data.Images[..4].clone();
        Assert.True(SharePixels(data.Images, first.Images), "Take copied the pixels");
        data.Dispose();
        Assert.True(first.Images.eq(expected).all().item<bool>());
    }

    [Fact]
    public void SplitValidation_keeps_every_image_once_the_tail_as_validation_and_copies_nothing()
    {
        using var data = TestKit.Synthetic(20);
        var (train, validation) = data.SplitValidation(6);
        using (train)
        using (validation)
        {
            Assert.Equal((14L, 6L), (train.Count, validation.Count));
            Assert.True(cat(new[] { train.Labels, validation.Labels }).eq(data.Labels).all().item<bool>(), "the two parts are not the dataset, in order");
            Assert.True(validation.Images.eq(data.Images[14..]).all().item<bool>(), "the validation part is not the last 6 images");
            Assert.True(SharePixels(data.Images, train.Images), "the training part copied the pixels");
            Assert.Equal(data.Classes, validation.Classes);
            using var subset = train.Take(100);   // a notebook's subset comes from the training part: never a validation image
            Assert.Equal(14L, subset.Count);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    public void SplitValidation_that_leaves_a_part_empty_is_refused(long validationCount)
    {
        using var data = TestKit.Synthetic(20);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => data.SplitValidation(validationCount));
        Assert.Contains("this dataset has 20", e.Message);
    }

    [Fact]
    public void Labels_outside_the_classes_are_refused_with_their_range()
    {
        using var images = zeros(new long[] { 3, 3, 4, 4 }, dtype: ScalarType.Byte);
        using var labels = tensor(new long[] { 0, 1, 7 });
        var e = Assert.Throws<ArgumentException>(() => new ImageDataset(images, labels, ["a", "b"]));
        Assert.Contains("[0, 1] for 2 classes", e.Message);
        Assert.Contains("[0, 7]", e.Message);
    }

    [Fact]
    public void Loading_a_split_again_reuses_the_pixels_read_the_first_time()
    {
        using var a = Cifar10.Load(train: false, root: TestData.CifarRoot, download: false, report: _ => { });
        using var b = Cifar10.Load(train: false, root: TestData.CifarRoot, download: false, report: _ => { });
        Assert.True(SharePixels(a.Images, b.Images), "the second load read the split again");
        Assert.NotSame(a.Images, b.Images);
    }
}

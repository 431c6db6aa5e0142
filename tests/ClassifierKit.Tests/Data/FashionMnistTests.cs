using System.Buffers.Binary;
using System.IO.Compression;
using ClassifierKit.Data;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    readonly TempDir temp = new();
    public void Dispose() => temp.Dispose();

    const int Images = 2051, Labels = 2049;

    /// <summary>An idx file as the format defines it: big-endian magic, big-endian dimensions, then the bytes; gzip-compressed.</summary>
    static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var raw = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(raw, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(raw, 4 + 4 * dims.Length);
        using var memory = new MemoryStream();
        using (var gz = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return memory.ToArray();
    }

    static byte[] Pixels(int n) => Enumerable.Range(0, n * 28 * 28).Select(i => (byte)(i * 7 + i / 784)).ToArray();

    (string Images, string Labels) Write(byte[] images, byte[] labels)
    {
        var (x, y) = (temp["train-images-idx3-ubyte.gz"], temp["train-labels-idx1-ubyte.gz"]);
        File.WriteAllBytes(x, images);
        File.WriteAllBytes(y, labels);
        return (x, y);
    }

    [Fact]
    public void The_real_debian_files_load_60000_training_and_10000_test_images_of_1x28x28_with_6000_per_class()
    {
        Assert.True(File.Exists(Path.Combine(FashionMnist.DebianFolder, "train-images-idx3-ubyte.gz")),
            $"These tests read the real Fashion-MNIST from {FashionMnist.DebianFolder}: sudo apt-get install dataset-fashion-mnist");

        using var train = FashionMnist.Load(train: true, root: temp.Path, source: FashionMnist.DebianFolder, download: false, report: _ => { });
        using var test = FashionMnist.Load(train: false, root: temp.Path, source: FashionMnist.DebianFolder, download: false, report: _ => { });

        Assert.Equal([60_000L, 1, 28, 28], train.Images.shape);
        Assert.Equal(ScalarType.Byte, train.Images.dtype);
        Assert.Equal(Enumerable.Repeat(6_000L, 10), train.ClassCounts());
        Assert.Equal([10_000L, 1, 28, 28], test.Images.shape);
        Assert.Equal(Enumerable.Repeat(1_000L, 10), test.ClassCounts());
        Assert.Equal("Ankle boot", train.Classes[9]);
        Assert.Equal(255, train.Images.max().item<byte>());
    }

    [Fact]
    public void Test_written_idx_files_load_pixels_in_row_major_order_with_their_labels()
    {
        var pixels = Pixels(3);
        var (x, y) = Write(Idx(Images, [3, 28, 28], pixels), Idx(Labels, [3], [9, 0, 4]));

        using var data = FashionMnist.Read(x, y);

        Assert.Equal([3L, 1, 28, 28], data.Images.shape);
        Assert.Equal([9L, 0, 4], data.Labels.data<long>().ToArray());
        Assert.Equal(pixels, data.Images.contiguous().data<byte>().ToArray());
        Assert.Equal(pixels[2 * 784 + 5 * 28 + 17], data.Images[2, 0, 5, 17].item<byte>());
    }

    [Fact]
    public void A_wrong_magic_number_names_the_file_and_both_numbers()
    {
        // a labels file where the images file belongs
        var (x, y) = Write(Idx(Labels, [3], [1, 2, 3]), Idx(Labels, [3], [1, 2, 3]));

        var e = Assert.Throws<DatasetException>(() => FashionMnist.Read(x, y));

        Assert.Contains($"{x} starts with magic number 2049, expected 2051 (idx3 images)", e.Message);
    }

    [Fact]
    public void A_file_too_short_for_its_header_is_reported_as_truncated()
    {
        var (x, y) = Write(Idx(Images, [3, 28, 28], Pixels(3)), Idx(Labels, [], []));

        var e = Assert.Throws<DatasetException>(() => FashionMnist.Read(x, y));

        Assert.Contains($"{y} is only 4 bytes after decompression; it is truncated", e.Message);
    }

    [Fact]
    public void Truncated_image_data_names_the_file_and_sizes()
    {
        var (x, y) = Write(Idx(Images, [3, 28, 28], Pixels(3)[..2000]), Idx(Labels, [3], [1, 2, 3]));

        var e = Assert.Throws<DatasetException>(() => FashionMnist.Read(x, y));

        Assert.Contains($"{x} has {16 + 2000:N0} bytes after decompression but its header promises {16 + 3 * 784:N0}", e.Message);
    }

    [Fact]
    public void A_truncated_gzip_stream_is_reported_with_the_file()
    {
        var whole = Idx(Images, [3, 28, 28], Pixels(3));
        var (x, y) = Write(whole[..(whole.Length / 2)], Idx(Labels, [3], [1, 2, 3]));

        var e = Assert.Throws<DatasetException>(() => FashionMnist.Read(x, y));

        // .NET's GZipStream returns what it could decompress without complaint; the idx header's promise catches it
        Assert.Contains($"{x} has ", e.Message);
        Assert.Contains($"bytes after decompression but its header promises {16 + 3 * 784:N0}; it is truncated", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_gzip_is_reported_with_the_file()
    {
        var (x, y) = Write(System.Text.Encoding.ASCII.GetBytes("not gzip at all, just some text"), Idx(Labels, [1], [1]));

        var e = Assert.Throws<DatasetException>(() => FashionMnist.Read(x, y));

        Assert.Contains($"{x} is not a valid gzip file", e.Message);
    }

    [Fact]
    public void A_label_out_of_range_names_the_file_and_item()
    {
        var (x, y) = Write(Idx(Images, [3, 28, 28], Pixels(3)), Idx(Labels, [3], [1, 2, 10]));

        var e = Assert.Throws<DatasetException>(() => FashionMnist.Read(x, y));

        Assert.Contains($"{y}, item 2: label 10 is out of range 0..9", e.Message);
    }

    [Fact]
    public void Image_and_label_counts_that_differ_name_both_files()
    {
        var (x, y) = Write(Idx(Images, [3, 28, 28], Pixels(3)), Idx(Labels, [2], [1, 2]));

        var e = Assert.Throws<DatasetException>(() => FashionMnist.Read(x, y));

        Assert.Contains($"{x} holds 3 images but {y} holds 2 labels", e.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<DatasetException>(() => FashionMnist.Read(temp["nope-images.gz"], temp["nope-labels.gz"]));
        Assert.Contains($"{temp["nope-images.gz"]} is missing", e.Message);
    }

    [Fact]
    public void A_source_folder_without_the_four_files_is_named()
    {
        Write(Idx(Images, [1, 28, 28], Pixels(1)), Idx(Labels, [1], [1])); // the training pair only

        var e = Assert.Throws<DatasetException>(() => FashionMnist.EnsureAvailable(root: temp["cache"], source: temp.Path, report: _ => { }));

        Assert.Contains(temp.Path, e.Message);
        Assert.Contains("t10k-images-idx3-ubyte.gz", e.Message);
    }
}

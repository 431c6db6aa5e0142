using ClassifierKit.Data;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Data;

/// <summary>Batch files written by the test in the official format: 1 label byte + 3,072 pixel bytes per row, R plane, then G, then B.</summary>
public sealed class Cifar10BatchFileTests : IDisposable
{
    readonly TempDir temp = new();
    public void Dispose() => temp.Dispose();

    string Write(string name, params byte[][] rows)
    {
        var path = temp[name];
        File.WriteAllBytes(path, rows.SelectMany(r => r).ToArray());
        return path;
    }

    [Fact]
    public void Pixels_land_at_their_n_c_h_w_positions_and_labels_in_row_order()
    {
        var file = Write("data_batch_1.bin", TestData.CifarRow(label: 7, seed: 0), TestData.CifarRow(label: 0, seed: 1), TestData.CifarRow(label: 9, seed: 2));

        using var data = Cifar10.ReadBatchFiles(file);

        Assert.Equal([3L, 3, 32, 32], data.Images.shape);
        Assert.Equal([7L, 0, 9], data.Labels.data<long>().ToArray());
        var pixels = data.Images.contiguous().data<byte>().ToArray();
        for (int n = 0; n < 3; n++)
            for (int c = 0; c < 3; c++)
                for (int h = 0; h < 32; h++)
                    for (int w = 0; w < 32; w++)
                        Assert.Equal(TestData.Pixel(n, c, h, w), pixels[((n * 3 + c) * 32 + h) * 32 + w]);
        // and through the tensor's own indexing: image 1, blue plane, row 5, column 9
        Assert.Equal(TestData.Pixel(1, 2, 5, 9), data.Images[1, 2, 5, 9].item<byte>());
        Assert.Equal(TestData.Pixel(2, 0, 31, 0), data.Images[2, 0, 31, 0].item<byte>());
    }

    [Fact]
    public void Several_files_are_concatenated_in_the_order_given()
    {
        var a = Write("data_batch_1.bin", TestData.CifarRow(1, seed: 10), TestData.CifarRow(2, seed: 11));
        var b = Write("data_batch_2.bin", TestData.CifarRow(3, seed: 12));

        using var data = Cifar10.ReadBatchFiles(a, b);

        Assert.Equal([1L, 2, 3], data.Labels.data<long>().ToArray());
        Assert.Equal(TestData.Pixel(12, 1, 3, 4), data.Images[2, 1, 3, 4].item<byte>());
    }

    [Fact]
    public void Loading_a_truncated_batch_names_the_file_and_size()
    {
        var good = Write("data_batch_1.bin", TestData.CifarRow(1, 0));
        var rows = TestData.CifarRow(1, 0).Concat(TestData.CifarRow(2, 1)).ToArray();
        var truncated = temp["data_batch_2.bin"];
        File.WriteAllBytes(truncated, rows[..(rows.Length - 1000)]);

        var e = Assert.Throws<DatasetException>(() => Cifar10.ReadBatchFiles(good, truncated));

        Assert.Contains(truncated, e.Message);
        Assert.Contains($"{rows.Length - 1000:N0} bytes", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("Delete the cifar-10-batches-bin folder", e.Message);
    }

    [Fact]
    public void Load_refuses_a_batch_file_cut_to_half_naming_the_file_and_both_sizes()
    {
        var folder = temp["cut/" + Cifar10.FolderName];
        var files = TestData.MiniCifar(rows: 1);
        files[TestData.TrainFiles[0]] = TestData.RandomRows(5_000, seed: 9, label: r => r % 10); // half of an official file
        TestData.WriteFolder(folder, files);

        var e = Assert.Throws<DatasetException>(() => Cifar10.Load(train: true, root: temp["cache"], source: temp["cut"], download: false, report: _ => { }));

        Assert.Contains(Path.Combine(folder, TestData.TrainFiles[0]), e.Message);
        Assert.Contains("15,365,000 bytes", e.Message);
        Assert.Contains("exactly 30,730,000", e.Message);
        Assert.Contains("Delete the cifar-10-batches-bin folder", e.Message);
    }

    [Fact]
    public void An_empty_batch_file_is_reported_as_truncated()
    {
        var empty = Write("test_batch.bin");
        var e = Assert.Throws<DatasetException>(() => Cifar10.ReadBatchFiles(empty));
        Assert.Contains(empty, e.Message);
        Assert.Contains("0 bytes", e.Message);
    }

    [Fact]
    public void A_label_out_of_range_names_the_file_and_row()
    {
        var first = Write("data_batch_1.bin", TestData.CifarRow(0, 0), TestData.CifarRow(1, 1));
        var second = Write("data_batch_2.bin", TestData.CifarRow(2, 2), TestData.CifarRow(12, 3), TestData.CifarRow(4, 4));

        var e = Assert.Throws<DatasetException>(() => Cifar10.ReadBatchFiles(first, second));

        Assert.Contains($"{second}, row 1: label 12", e.Message);
        Assert.Contains("0..9", e.Message);
        Assert.DoesNotContain(first, e.Message);
    }

    [Fact]
    public void A_missing_batch_file_is_named()
    {
        var missing = temp["data_batch_3.bin"];
        var e = Assert.Throws<DatasetException>(() => Cifar10.ReadBatchFiles(missing));
        Assert.Contains($"{missing} is missing", e.Message);
    }

    [Fact]
    public void A_source_folder_without_the_batch_files_is_named_with_what_it_lacks()
    {
        var source = Directory.CreateDirectory(temp["empty-source"]).FullName;
        File.WriteAllBytes(Path.Combine(source, "data_batch_1.bin"), TestData.CifarRow(0, 0)); // one of six is not enough

        var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: temp["cache"], source: source, report: _ => { }));

        Assert.Contains(source, e.Message);
        Assert.Contains("data_batch_1.bin .. data_batch_5.bin and test_batch.bin", e.Message);
        Assert.False(Directory.Exists(temp["cache"]), "a failed source lookup must not create the cache");
    }

    [Fact]
    public void A_source_path_that_does_not_exist_is_named()
    {
        var source = temp["no-such-folder"];
        var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: temp["cache"], source: source, report: _ => { }));
        Assert.Contains($"'{source}', which does not exist", e.Message);
    }

    [Fact]
    public void A_source_folder_holding_the_batch_folder_is_used_in_place()
    {
        var files = TestData.MiniCifar(rows: 2);
        var folder = TestData.WriteFolder(Path.Combine(temp["mirror"], Cifar10.FolderName), files);

        using var train = TestData.LoadMini(train: true, root: temp["cache"], source: temp["mirror"], download: false, report: _ => { });
        using var test = TestData.LoadMini(train: false, root: temp["cache"], source: folder, download: false, report: _ => { });

        TestData.AssertHoldsRows(train, TestData.TrainFiles.Select(f => files[f]).ToArray());
        TestData.AssertHoldsRows(test, files[TestData.TestFile]);
        Assert.False(Directory.Exists(temp["cache"]), "a source folder is read in place, not copied");
    }

    [Fact]
    public void A_source_archive_is_extracted_into_the_cache_with_a_note_that_its_md5_is_not_official()
    {
        var files = TestData.MiniCifar(rows: 2);
        var archive = temp["my-copy.tar.gz"];
        File.WriteAllBytes(archive, TestData.TarGz(files));
        var log = new List<string>();

        using var test = TestData.LoadMini(train: false, root: temp["cache"], source: archive, report: log.Add);

        TestData.AssertHoldsRows(test, files[TestData.TestFile]);
        Assert.True(File.Exists(Path.Combine(temp["cache"], "CIFAR10", Cifar10.FolderName, "data_batch_5.bin")));
        Assert.Contains(log, l => l.Contains("not the official") && l.Contains(archive));
        Assert.Empty(Directory.GetDirectories(Path.Combine(temp["cache"], "CIFAR10"), ".extract-*"));
    }

    [Fact]
    public void A_source_archive_that_is_not_gzip_is_reported_and_left_in_place()
    {
        var archive = temp["not-really.tar.gz"];
        File.WriteAllText(archive, "<html>404 Not Found</html>");

        var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: temp["cache"], source: archive, report: _ => { }));

        Assert.Contains($"{archive} is not a valid .tar.gz archive", e.Message);
        Assert.Contains(Cifar10.SourceVariable, e.Message);
        Assert.True(File.Exists(archive), "the user's own file is never deleted");
        var cache = Path.Combine(temp["cache"], "CIFAR10");
        Assert.False(Directory.Exists(Path.Combine(cache, Cifar10.FolderName)));
        Assert.Empty(Directory.GetDirectories(cache, ".extract-*"));
    }

    [Fact]
    public void A_truncated_source_archive_is_reported_and_leaves_no_half_written_folder()
    {
        var whole = TestData.TarGz(TestData.MiniCifar(rows: 4));
        var archive = temp["cut.tar.gz"];
        File.WriteAllBytes(archive, whole[..(whole.Length / 2)]);

        var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: temp["cache"], source: archive, report: _ => { }));

        Assert.StartsWith(archive, e.Message);
        Assert.Contains(Cifar10.SourceVariable, e.Message);
        var cache = Path.Combine(temp["cache"], "CIFAR10");
        Assert.False(Directory.Exists(Path.Combine(cache, Cifar10.FolderName)));
        Assert.Empty(Directory.GetDirectories(cache, ".extract-*"));
    }

    [Fact]
    public void A_source_archive_missing_a_batch_file_names_it_and_leaves_no_half_written_folder()
    {
        var files = TestData.MiniCifar(rows: 2);
        files.Remove("test_batch.bin");
        var archive = temp["partial.tar.gz"];
        File.WriteAllBytes(archive, TestData.TarGz(files));

        var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: temp["cache"], source: archive, report: _ => { }));

        Assert.Contains($"{archive} lacks cifar-10-batches-bin/test_batch.bin", e.Message);
        var cache = Path.Combine(temp["cache"], "CIFAR10");
        Assert.False(Directory.Exists(Path.Combine(cache, Cifar10.FolderName)));
        Assert.Empty(Directory.GetDirectories(cache, ".extract-*"));
    }
}

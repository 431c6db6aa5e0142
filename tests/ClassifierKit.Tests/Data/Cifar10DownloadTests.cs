using ClassifierKit.Data;
using ClassifierKit.Platform;

namespace ClassifierKit.Tests.Data;

/// <summary>
/// The download path against a local HTTP server that serves a miniature CIFAR-10 archive in the official layout,
/// healthy or failing in the ways real downloads fail.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class Cifar10DownloadTests : ClearedEnvironment
{
    readonly TempDir temp = new();
    readonly Dictionary<string, byte[]> files = TestData.MiniCifar(rows: 4);
    readonly byte[] archive;
    readonly List<string> log = [];

    public Cifar10DownloadTests() => archive = TestData.TarGz(files);

    public override void Dispose() { temp.Dispose(); base.Dispose(); }

    string Cache => Path.Combine(temp.Path, "CIFAR10");
    string Part => Path.Combine(Cache, "cifar-10-binary.tar.gz.part");

    /// <summary>The cache holds nothing but what a successful download leaves (or nothing at all).</summary>
    void AssertNoHalfWrittenFolder()
    {
        Assert.False(Directory.Exists(Path.Combine(Cache, Cifar10.FolderName)), "no cifar-10-batches-bin may exist after a failure");
        if (Directory.Exists(Cache))
            Assert.Empty(Directory.GetDirectories(Cache, ".extract-*"));
    }

    void AssertLoadsTheServedRows()
    {
        using var train = TestData.LoadMini(train: true, root: temp.Path, download: false, report: log.Add);
        using var test = TestData.LoadMini(train: false, root: temp.Path, download: false, report: log.Add);
        TestData.AssertHoldsRows(train, TestData.TrainFiles.Select(f => files[f]).ToArray());
        TestData.AssertHoldsRows(test, files[TestData.TestFile]);
    }

    [Fact]
    public void A_healthy_download_is_verified_extracted_and_loads_the_served_rows()
    {
        using var server = new TestHttpServer(archive);

        using var train = TestData.LoadMini(train: true, root: temp.Path, url: server.Url, md5: TestData.Md5(archive), report: log.Add);

        Assert.Equal(20, train.Count);
        AssertLoadsTheServedRows();
        Assert.Equal([null], server.Ranges); // one request, and the second load used the cache
        Assert.False(File.Exists(Part));
        Assert.Empty(Directory.GetDirectories(Cache, ".extract-*"));
        Assert.Contains(log, l => l.Contains($"Downloading CIFAR-10 from {server.Url}"));
    }

    [Fact]
    public void An_md5_mismatch_names_the_url_and_leaves_no_archive_part_file_or_folder()
    {
        using var server = new TestHttpServer(archive);
        var wrong = new string('0', 32);

        var e = Assert.Throws<DatasetException>(() => TestData.LoadMini(train: false, root: temp.Path, url: server.Url, md5: wrong, report: log.Add));

        Assert.Contains("MD5 mismatch", e.Message);
        Assert.Contains(server.Url, e.Message);
        Assert.Contains(wrong, e.Message);
        Assert.Contains(TestData.Md5(archive), e.Message);
        AssertNoHalfWrittenFolder();
        Assert.Empty(Directory.GetFiles(Cache, "*.tar.gz"));
        Assert.Empty(Directory.GetFiles(Cache, "*.part"));
    }

    [Fact]
    public void A_connection_cut_midway_is_resumed_with_a_range_request()
    {
        int half = archive.Length / 2;
        using var server = new TestHttpServer(archive) { CutAfter = (request, _) => request == 0 ? half : null };

        Cifar10.EnsureAvailable(root: temp.Path, url: server.Url, md5: TestData.Md5(archive), report: log.Add);

        Assert.Equal([null, $"bytes={half}-"], server.Ranges);
        Assert.Contains(log, l => l.Contains($"interrupted at {half:N0} bytes"));
        AssertLoadsTheServedRows();
    }

    [Fact]
    public void A_server_that_always_cuts_fails_with_the_url_and_kept_part_file_and_a_later_call_resumes()
    {
        using (var failing = new TestHttpServer(archive) { CutAfter = (_, start) => (archive.Length - start) / 2 })
        {
            var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: temp.Path, url: failing.Url, md5: TestData.Md5(archive), report: log.Add));

            Assert.Contains($"Could not download {failing.Url}", e.Message);
            Assert.Contains($"The partial file {Part} is kept and the next call resumes it", e.Message);
            Assert.Equal(3, failing.Ranges.Count); // three attempts, each resuming where the last stopped
            Assert.Null(failing.Ranges[0]);
            Assert.All(failing.Ranges.Skip(1), r => Assert.StartsWith("bytes=", r));
        }
        Assert.True(File.Exists(Part));
        long kept = new FileInfo(Part).Length;
        Assert.InRange(kept, archive.Length / 2 + 1, archive.Length - 1);
        Assert.Equal(archive[..(int)kept], File.ReadAllBytes(Part));
        AssertNoHalfWrittenFolder();
        Assert.Throws<DatasetException>(() => TestData.LoadMini(train: false, root: temp.Path, download: false, report: log.Add));

        using var healthy = new TestHttpServer(archive);
        Cifar10.EnsureAvailable(root: temp.Path, url: healthy.Url, md5: TestData.Md5(archive), report: log.Add);

        Assert.Equal([$"bytes={kept}-"], healthy.Ranges);
        Assert.False(File.Exists(Part));
        AssertLoadsTheServedRows();
    }

    [Fact]
    public void A_connection_that_stalls_midway_is_abandoned_after_the_stall_timeout_and_resumed()
    {
        int half = archive.Length / 2;
        using var server = new TestHttpServer(archive) { CutAfter = (request, _) => request == 0 ? half : null, Stalls = request => request == 0 };
        var saved = Downloader.StallTimeout;
        Downloader.StallTimeout = TimeSpan.FromMilliseconds(300);
        try
        {
            Cifar10.EnsureAvailable(root: temp.Path, url: server.Url, md5: TestData.Md5(archive), report: log.Add);
        }
        finally { Downloader.StallTimeout = saved; }

        Assert.Equal([null, $"bytes={half}-"], server.Ranges);
        Assert.Contains(log, l => l.Contains($"interrupted at {half:N0} bytes (no data for 0.3 s"));
        AssertLoadsTheServedRows();
    }

    [Fact]
    public void A_complete_part_file_is_finished_by_a_range_not_satisfiable_answer()
    {
        Directory.CreateDirectory(Cache);
        File.WriteAllBytes(Part, archive);
        using var server = new TestHttpServer(archive);

        Cifar10.EnsureAvailable(root: temp.Path, url: server.Url, md5: TestData.Md5(archive), report: log.Add);

        Assert.Equal([$"bytes={archive.Length}-"], server.Ranges);
        AssertLoadsTheServedRows();
    }

    [Fact]
    public void A_download_that_is_not_gzip_is_reported_deleted_and_leaves_no_half_written_folder()
    {
        var page = System.Text.Encoding.UTF8.GetBytes("<html><body>Mirror moved</body></html>");
        using var server = new TestHttpServer(page);

        var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: temp.Path, url: server.Url, md5: TestData.Md5(page), report: log.Add));

        var cached = Path.Combine(Cache, "cifar-10-binary.tar.gz");
        Assert.Contains($"{cached} is not a valid .tar.gz archive", e.Message);
        Assert.Contains($"check that {server.Url} serves", e.Message);
        AssertNoHalfWrittenFolder();
        Assert.False(File.Exists(cached), "a bad archive must not stay in the cache, where every later call would trip over it");
        Assert.False(File.Exists(Part));
    }

    [Fact]
    public void An_archive_without_the_batch_folder_is_reported_and_leaves_no_half_written_folder()
    {
        var wrong = TestData.TarGz(files, folder: "cifar-10-batches-py");
        using var server = new TestHttpServer(wrong);

        var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: temp.Path, url: server.Url, md5: TestData.Md5(wrong), report: log.Add));

        Assert.Contains("does not contain the folder 'cifar-10-batches-bin/'", e.Message);
        AssertNoHalfWrittenFolder();
        Assert.Empty(Directory.GetFiles(Cache));
    }

    [Fact]
    public void An_unwritable_cache_folder_is_reported_before_any_download()
    {
        var file = temp["file.txt"];
        File.WriteAllText(file, "a file where a folder should be");
        var root = Path.Combine(file, "sub");
        using var server = new TestHttpServer(archive);

        var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: root, url: server.Url, md5: TestData.Md5(archive), report: log.Add));

        Assert.Contains($"The dataset cache folder {Path.Combine(root, "CIFAR10")} cannot be created or written to", e.Message);
        Assert.Contains($"{file} is a file, not a folder", e.Message);
        Assert.Contains(Locations.DataVariable, e.Message);
        Assert.Empty(server.Ranges);
    }

    [Fact]
    public void The_url_variable_names_a_mirror_and_an_explicit_url_overrides_it()
    {
        using var mirror = new TestHttpServer(archive);
        using var unused = new TestHttpServer(archive);
        Environment.SetEnvironmentVariable(Cifar10.UrlVariable, mirror.Url);

        Cifar10.EnsureAvailable(root: temp["a"], md5: TestData.Md5(archive), report: log.Add);
        Cifar10.EnsureAvailable(root: temp["b"], url: unused.Url, md5: TestData.Md5(archive), report: log.Add);

        Assert.Single(mirror.Ranges);
        Assert.Single(unused.Ranges);
    }

    [Fact]
    public void The_source_variable_names_a_local_copy_that_is_used_without_downloading()
    {
        TestData.WriteFolder(Path.Combine(temp["mirror"], Cifar10.FolderName), files);
        Environment.SetEnvironmentVariable(Cifar10.SourceVariable, temp["mirror"]);

        using var test = TestData.LoadMini(train: false, root: temp["cache"], download: false, report: log.Add);

        TestData.AssertHoldsRows(test, files[TestData.TestFile]);
    }

    [Fact]
    public void Without_data_and_without_download_the_error_says_where_it_looked_and_how_to_get_it()
    {
        var e = Assert.Throws<DatasetException>(() => Cifar10.EnsureAvailable(root: temp.Path, download: false, report: log.Add));

        Assert.Contains($"CIFAR-10 not found in {Path.Combine(Cache, Cifar10.FolderName)}", e.Message);
        Assert.Contains(Cifar10.OfficialUrl, e.Message);
        Assert.Contains(Cifar10.SourceVariable, e.Message);
        Assert.Contains("download: true", e.Message);
    }
}

using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using ClassifierKit.Platform;

namespace ClassifierKit.Data;

/// <summary>Downloads a file over HTTP with resume and MD5 check, and unpacks .tar.gz archives atomically.</summary>
public static class Downloader
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(30) };

    /// <summary>
    /// How long a download may receive nothing before the attempt is abandoned (and retried, resuming).
    /// HttpClient's own timeout stops covering the body once the headers have arrived, so without this a stalled
    /// connection would hang forever.
    /// </summary>
    public static TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Downloads <paramref name="url"/> to <paramref name="destination"/>. Bytes arrive in destination + ".part",
    /// which survives an interruption and is resumed (HTTP Range) by the next attempt; only a complete file whose
    /// MD5 matches is renamed into place. A mismatching file is deleted.
    /// </summary>
    public static void DownloadFile(string url, string destination, string? md5, Action<string>? report = null, int attempts = 3)
    {
        report ??= Console.WriteLine;
        var dir = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        EnsureWritable(dir);
        var part = destination + ".part";
        Exception? last = null;
        for (int attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                Fetch(url, part, report);
                last = null;
                break;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                last = e;
                var have = File.Exists(part) ? new FileInfo(part).Length : 0;
                report($"download of {url} interrupted at {have:N0} bytes ({e.Message}); attempt {attempt}/{attempts}");
            }
        }
        if (last != null)
            throw new DatasetException(
                $"Could not download {url}: {last.Message}. The partial file {part} is kept and the next call resumes it; " +
                "check your connection, or download the file yourself and pass its path (see README: offline datasets).", last);

        if (md5 != null)
        {
            var actual = Md5Of(part);
            if (!string.Equals(actual, md5, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(part);
                throw new DatasetException(
                    $"MD5 mismatch for {url}: expected {md5}, got {actual}. The corrupt download was deleted; " +
                    "run again to download it afresh, or check that the URL points to the official file.");
            }
        }
        File.Move(part, destination, overwrite: true);
    }

    static void Fetch(string url, string part, Action<string> report)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = Http.Send(request, HttpCompletionOption.ResponseHeadersRead);
        if (have > 0 && response.StatusCode != System.Net.HttpStatusCode.PartialContent)
            have = 0; // the server ignored Range: start over
        if (response.StatusCode == System.Net.HttpStatusCode.RequestedRangeNotSatisfiable)
            return; // the part file is already complete
        response.EnsureSuccessStatusCode();
        long? total = response.Content.Headers.ContentLength + have;
        using var body = response.Content.ReadAsStream();
        using var file = new FileStream(part, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write);
        var buffer = new byte[1 << 16];
        long done = have, nextReport = 0;
        int n;
        using var stall = new CancellationTokenSource();
        while (true)
        {
            stall.CancelAfter(StallTimeout);
            try { n = body.ReadAsync(buffer, stall.Token).AsTask().GetAwaiter().GetResult(); }
            catch (OperationCanceledException) when (stall.IsCancellationRequested)
            {
                throw new IOException($"no data for {StallTimeout.TotalSeconds:0.#} s after {done:N0} bytes");
            }
            if (n == 0) break;
            file.Write(buffer, 0, n);
            done += n;
            if (total is > 0 && done >= nextReport)
            {
                report($"  {Path.GetFileName(url)}: {done * 100 / total:0}% of {total / 1e6:0.0} MB");
                nextReport = done + total.Value / 10;
            }
        }
        if (total.HasValue && done < total)
            throw new IOException($"connection closed after {done:N0} of {total:N0} bytes");
    }

    /// <summary>MD5 of a file as lowercase hex.</summary>
    public static string Md5Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(MD5.HashData(stream));
    }

    /// <summary>
    /// Unpacks a .tar.gz and moves the folder <paramref name="expectedFolder"/> from it to <paramref name="destinationDir"/>/expectedFolder
    /// in one rename, so a failure never leaves a half-written folder behind. <paramref name="fix"/> ends the error message
    /// for an archive that is not a .tar.gz or lacks the folder or one of <paramref name="requiredFiles"/> (it tells the reader what to do).
    /// </summary>
    /// <remarks>.NET's GZipStream ends quietly at a truncated stream, so a cut-off archive may unpack without error;
    /// <paramref name="requiredFiles"/> (names inside the folder) catches that before anything is moved into place.</remarks>
    public static string ExtractFolder(string archive, string destinationDir, string expectedFolder, string fix = "Delete it and download it again.",
        IReadOnlyList<string>? requiredFiles = null)
    {
        EnsureWritable(destinationDir);
        var staging = Path.Combine(destinationDir, $".extract-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            using (var gz = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress))
                TarFile.ExtractToDirectory(gz, staging, overwriteFiles: true);
            var found = Path.Combine(staging, expectedFolder);
            if (!Directory.Exists(found))
                throw new DatasetException($"{archive} does not contain the folder '{expectedFolder}/', so it is not the expected archive. {fix}");
            var missing = (requiredFiles ?? []).Where(f => !File.Exists(Path.Combine(found, f))).ToArray();
            if (missing.Length > 0)
                throw new DatasetException(
                    $"{archive} lacks {string.Join(", ", missing.Select(f => $"{expectedFolder}/{f}"))}, so it is truncated or not the expected archive. {fix}");
            var target = Path.Combine(destinationDir, expectedFolder);
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(found, target);
            return target;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DatasetException($"{archive} is not a valid .tar.gz archive ({e.Message}). {fix}", e);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Creates <paramref name="dir"/> if needed and proves it is writable, with an actionable error if not.</summary>
    public static void EnsureWritable(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".write-test-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // A common cause that the OS reports obscurely: some part of the path is a file, not a folder.
            var blocker = Ancestors(Path.GetFullPath(dir)).FirstOrDefault(File.Exists);
            var why = blocker != null ? $"{blocker} is a file, not a folder" : e.Message;
            throw new DatasetException(
                $"The dataset cache folder {dir} cannot be created or written to ({why}). Point {Locations.DataVariable} " +
                "at a folder you can write to, or pass a root folder to the loader.", e);
        }
    }

    static IEnumerable<string> Ancestors(string path)
    {
        for (var p = path; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
            yield return p;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace ClassifierKit.Tests.Data;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 serving one body at any path, with Range requests ("bytes=N-") and
/// deliberate cuts: <see cref="CutAfter"/> may make it close the connection after part of the promised bytes.
/// </summary>
sealed partial class TestHttpServer : IDisposable
{
    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource stop = new();
    readonly List<string?> ranges = [];
    int requests;

    /// <summary>The bytes served.</summary>
    public byte[] Body { get; }

    /// <summary>(request index from 0, first byte requested) to how many bytes to send before closing; null sends all.</summary>
    public Func<int, long, long?> CutAfter { get; init; } = (_, _) => null;

    /// <summary>(request index from 0) to whether to keep the connection open, silent, after sending instead of closing it.</summary>
    public Func<int, bool> Stalls { get; init; } = _ => false;

    public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/cifar-10-binary.tar.gz";

    /// <summary>The Range header of each request so far, in order (null where there was none).</summary>
    public IReadOnlyList<string?> Ranges { get { lock (ranges) return ranges.ToArray(); } }

    public TestHttpServer(byte[] body)
    {
        Body = body;
        listener.Start();
        _ = AcceptLoop();
    }

    async Task AcceptLoop()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop.Token); }
            catch (Exception) { return; }
            var index = Interlocked.Increment(ref requests) - 1;
            _ = Task.Run(() => Serve(client, index));
        }
    }

    async Task Serve(TcpClient client, int index)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII); // GET requests have no body to over-read
            if (await reader.ReadLineAsync() is not { } requestLine || !requestLine.StartsWith("GET ")) return;
            string? range = null;
            for (string? line; !string.IsNullOrEmpty(line = await reader.ReadLineAsync());)
                if (line.StartsWith("Range:", StringComparison.OrdinalIgnoreCase)) range = line["Range:".Length..].Trim();
            lock (ranges) ranges.Add(range);

            long length = Body.Length, start = 0;
            string head;
            if (range != null && RangePattern().Match(range) is { Success: true } m)
            {
                start = long.Parse(m.Groups[1].Value);
                head = start >= length
                    ? $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{length}\r\nContent-Length: 0\r\n"
                    : $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{length - 1}/{length}\r\nContent-Length: {length - start}\r\n";
            }
            else head = $"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n";
            head += "Content-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            if (start < length)
            {
                var send = Math.Min(CutAfter(index, start) ?? length - start, length - start);
                await stream.WriteAsync(Body.AsMemory((int)start, (int)send));
            }
            await stream.FlushAsync();
            if (Stalls(index))
                await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { });
            client.Client.Shutdown(SocketShutdown.Send); // FIN after the bytes, so the client sees them all, then the end
        }
        catch (IOException) { }
        catch (SocketException) { }
    }

    [GeneratedRegex(@"^bytes=(\d+)-$")]
    private static partial Regex RangePattern();

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
    }
}

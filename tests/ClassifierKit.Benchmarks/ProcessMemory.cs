using System.Diagnostics;

namespace ClassifierKit.Benchmarks;

/// <summary>Resident memory of this process: current (VmRSS) and peak (VmHWM) from /proc/self/status, else Process counters.</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size in bytes since the process started (process-wide, so it only grows).</summary>
    public static long PeakResidentBytes() => ReadStatus("VmHWM:") ?? Refreshed().PeakWorkingSet64;

    /// <summary>Current resident set size in bytes.</summary>
    public static long ResidentBytes() => ReadStatus("VmRSS:") ?? Refreshed().WorkingSet64;

    static Process Refreshed()
    {
        var p = Process.GetCurrentProcess();
        p.Refresh();
        return p;
    }

    static long? ReadStatus(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            // "VmHWM:	  123456 kB"
            var parts = line[key.Length..].Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 1 && long.TryParse(parts[0], out var kb)) return kb * 1024;
        }
        return null;
    }

    /// <summary>Bytes as MiB with no decimals, e.g. "812 MiB".</summary>
    public static string Format(long bytes) => $"{bytes / (1024.0 * 1024.0):F0} MiB";
}

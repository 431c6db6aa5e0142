using System.Reflection;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>What the numbers were measured on: CPU, cores, memory, load, and the versions of TorchSharp and its libtorch.</summary>
public static class Machine
{
    /// <summary>Total memory in GiB (from /proc/meminfo, else the GC's view of it).</summary>
    public static double MemoryGiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var kb)) return kb / (1024.0 * 1024.0);
        }
        catch (IOException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024.0 * 1024.0);
    }

    /// <summary>
    /// The CPU as the GEMM peak record knows it: model name and features, plus family, model and stepping from /proc/cpuinfo
    /// (a virtual machine may show only "AMD EPYC", which names several generations), e.g.
    /// "AMD EPYC (AVX-512, AVX512-BF16, no AMX), family 26 model 2 stepping 1".
    /// </summary>
    public static string CpuSignature()
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.Length == 0) break;   // the first processor is enough
                if (line.Split(':', 2) is [var k, var v] && k.Trim() is "cpu family" or "model" or "stepping") ids[k.Trim()] = v.Trim();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        var signature = $"{ClassifierKit.Platform.Cpu.Model} ({ClassifierKit.Platform.Cpu.Features})";
        return ids.Count == 3 ? $"{signature}, family {ids["cpu family"]} model {ids["model"]} stepping {ids["stepping"]}" : signature;
    }

    /// <summary>The 1, 5 and 15 minute load averages, or "n/a".</summary>
    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
    }

    /// <summary>TorchSharp's package version, e.g. 0.107.0.</summary>
    public static string TorchSharpVersion()
    {
        var asm = typeof(TorchSharp.torch).Assembly;
        var v = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? asm.GetName().Version?.ToString() ?? "?";
        return v.Split('+')[0];
    }

    /// <summary>The libtorch TorchSharp runs on, e.g. 2.10.0.0 (torch.__version__).</summary>
    public static string LibTorchVersion() => __version__;

    /// <summary>libtorch's intra-op threads as set now.</summary>
    public static int Threads() => get_num_threads();
}

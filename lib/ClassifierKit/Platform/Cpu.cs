using System.Globalization;
using System.Runtime.InteropServices;

namespace ClassifierKit.Platform;

/// <summary>
/// The CPU this process runs on, as far as speed and arithmetic depend on it: model name, core count, and the instruction-set
/// features that decide which kernels libtorch runs (AVX-512, native bfloat16, AMX tiles). Every recorded number names it,
/// because the same code runs at different speeds, and once hit different oneDNN bugs, on different CPUs.
/// </summary>
public static class Cpu
{
    static readonly Lazy<(string model, HashSet<string> flags)> Info = new(Read);

    /// <summary>The model name from /proc/cpuinfo, e.g. "AMD EPYC" or "Intel(R) Xeon(R) Platinum 8480+"; else the architecture.</summary>
    public static string Model => Info.Value.model;

    /// <summary>Logical processors this process may use.</summary>
    public static int Cores => Environment.ProcessorCount;

    /// <summary>AVX-512 Foundation (avx512f).</summary>
    public static bool Avx512 => Has("avx512f");

    /// <summary>Native bfloat16 dot products in AVX-512 (avx512_bf16).</summary>
    public static bool Avx512Bf16 => Has("avx512_bf16");

    /// <summary>Native float16 arithmetic in AVX-512 (avx512_fp16).</summary>
    public static bool Avx512Fp16 => Has("avx512_fp16");

    /// <summary>Intel's AMX tile matrix units with bfloat16 (amx_tile and amx_bf16).</summary>
    public static bool AmxBf16 => Has("amx_tile") && Has("amx_bf16");

    /// <summary>Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX); elsewhere libtorch emulates it, slower than float32.</summary>
    public static bool NativeBFloat16 => Avx512Bf16 || AmxBf16;

    /// <summary>Whether /proc/cpuinfo lists <paramref name="flag"/> (Linux's spelling, e.g. "avx512_bf16").</summary>
    public static bool Has(string flag) => Info.Value.flags.Contains(flag);

    /// <summary>The features that matter here, e.g. "AVX-512, AVX512-BF16, no AMX" (or "flags unknown" off Linux).</summary>
    public static string Features
    {
        get
        {
            if (Info.Value.flags.Count == 0) return "flags unknown";
            var said = new List<string>();
            said.Add(Avx512 ? "AVX-512" : Has("avx2") ? "AVX2, no AVX-512" : "no AVX2");
            if (Avx512Bf16) said.Add("AVX512-BF16");
            if (Avx512Fp16) said.Add("AVX512-FP16");
            said.Add(AmxBf16 ? "AMX" : "no AMX");
            return string.Join(", ", said);
        }
    }

    /// <summary>e.g. "AMD EPYC (AVX-512, AVX512-BF16, no AMX), 2 cores".</summary>
    public static string Describe() => string.Create(CultureInfo.InvariantCulture, $"{Model} ({Features}), {Cores} cores");

    static (string, HashSet<string>) Read()
    {
        string model = RuntimeInformation.ProcessArchitecture.ToString();
        var flags = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                var (key, value) = line.Split(':', 2) is [var k, var v] ? (k.Trim(), v.Trim()) : ("", "");
                if (key == "model name" && model == RuntimeInformation.ProcessArchitecture.ToString()) model = value;
                else if (key == "flags" && flags.Count == 0) flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return (model, flags);
    }
}

using System.Runtime.InteropServices;

namespace ClassifierKit.Platform;

/// <summary>What <see cref="MklDispatch.ByCpuFeatures"/> found and did.</summary>
public enum MklDispatchState
{
    /// <summary>Not asked: MKL as shipped, which checks the CPU's vendor.</summary>
    AsShipped,
    /// <summary>No MKL vendor check of the expected shape in this libtorch (another build, or not Linux x64): nothing changed.</summary>
    NotFound,
    /// <summary>MKL chooses by the CPU's features: set before MKL first asked, or an Intel CPU, where MKL's own answer is the same.</summary>
    ByFeatures,
    /// <summary>MKL had already run a matrix product and decided the CPU is not Intel: too late to change (nothing changed).</summary>
    AlreadyDecided,
}

/// <summary>
/// Lets the Intel MKL inside libtorch choose its float32 matrix-product kernels by the instructions the CPU has, on any
/// vendor's CPU, instead of by the vendor's name.
/// </summary>
/// <remarks>
/// libtorch 2.10 for Linux x64 links MKL statically: <c>torch.mm</c>, linear layers and the other float32 matrix products
/// run MKL's sgemm (convolutions run oneDNN, which picks its kernels by the CPU's features on every CPU). Before it picks
/// a kernel, MKL asks whether the CPU says "GenuineIntel" (its exported <c>mkl_serv_intel_cpu_true</c>, whose answer it
/// caches in a static int, -1 until asked); on other CPUs it runs a slower code path, whatever the CPU supports. Measured
/// 2026-12-06 on an AMD EPYC (AVX-512, AVX512-BF16), 2 threads, a 4096 x 4096 float32 product: 207 GFLOP/s as shipped,
/// 487 with this switch (the benchmark's README has the table), where PyTorch 1.13 with OpenBLAS made 239.
/// This sets that cached answer to "Intel" before MKL first asks, so MKL then checks the instruction sets themselves
/// (AVX2, AVX-512, ...) as it does on Intel CPUs: other kernels, the same products up to float32 rounding. The int is found
/// through the function's first instruction, <c>mov eax, [rip + offset]</c>, and only where the function's first bytes
/// are exactly the expected check; any other libtorch is left alone (<see cref="MklDispatchState.NotFound"/>). It works
/// only before the process's first float32 matrix product on the CPU, so <c>Trainer.Fit</c>, the notebook support and the
/// benchmark call it first thing. This is a known workaround for MKL on AMD CPUs (MKL once offered the switch
/// MKL_DEBUG_CPU_TYPE=5, removed in 2020), done here in memory rather than with an LD_PRELOAD library, which a notebook
/// kernel started by an editor cannot be given.
/// </remarks>
public static unsafe class MklDispatch
{
    static readonly object Gate = new();
    static MklDispatchState? _state;

    /// <summary>What the first call of <see cref="ByCpuFeatures"/> found; <see cref="MklDispatchState.AsShipped"/> before it.</summary>
    public static MklDispatchState State
    {
        get { lock (Gate) return _state ?? MklDispatchState.AsShipped; }
    }

    /// <summary>The state in words, for a run's output and a benchmark's header.</summary>
    public static string Describe(MklDispatchState state) => state switch
    {
        MklDispatchState.ByFeatures => "float32 matrix kernels chosen by the CPU's features (MklDispatch)",
        MklDispatchState.NotFound => "as shipped (this libtorch has no MKL vendor check of the known shape)",
        MklDispatchState.AlreadyDecided => "as shipped (MKL had chosen its kernels before MklDispatch ran)",
        _ => "as shipped (MKL checks the CPU's vendor)",
    };

    /// <summary>
    /// Makes MKL choose its kernels by the CPU's features, if it has not chosen yet (idempotent; every call returns what the
    /// first one found). Off Linux x64, or with another libtorch, nothing changes.
    /// </summary>
    public static MklDispatchState ByCpuFeatures()
    {
        lock (Gate)
            return _state ??= Apply();
    }

    static MklDispatchState Apply()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64) return MklDispatchState.NotFound;
        // mov eax, [rip+d]; test eax, eax; js +1; ret: the cached answer of the vendor check.
        int* intelCpuTrue = Cache("mkl_serv_intel_cpu_true", [0x85, 0xC0, 0x78, 0x01, 0xC3]);
        // mov eax, [rip+d]; cmp eax, -1; je +1; ret: the cache of the check MKL's dispatcher asks, which reads the one above.
        int* intelCpu = Cache("mkl_serv_intel_cpu", [0x83, 0xF8, 0xFF, 0x74, 0x01, 0xC3]);
        if (intelCpuTrue == null || intelCpu == null) return MklDispatchState.NotFound;
        if (*intelCpuTrue == 0 || *intelCpu == 0) return MklDispatchState.AlreadyDecided;
        // -1: not asked yet; 1: an Intel CPU that MKL has asked about already.
        if (*intelCpuTrue == -1) *intelCpuTrue = 1;
        if (*intelCpu == -1) *intelCpu = 1;
        return MklDispatchState.ByFeatures;
    }

    /// <summary>The static int an exported MKL function caches its answer in, if the function's code is exactly the shape expected.</summary>
    static int* Cache(string function, byte[] after)
    {
        if (!LibTorchExports.TryGet(function, out var address)) return null;
        byte* code = (byte*)address;
        if (code[0] != 0x8B || code[1] != 0x05) return null;   // mov eax, [rip + disp32]
        for (int i = 0; i < after.Length; i++)
            if (code[6 + i] != after[i]) return null;
        return (int*)(code + 6 + *(int*)(code + 2));   // rip-relative: from the end of the 6-byte instruction
    }
}

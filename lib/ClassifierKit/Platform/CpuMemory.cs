using System.Runtime.InteropServices;

namespace ClassifierKit.Platform;

/// <summary>
/// Tunes the C allocator libtorch uses on the CPU so that freed tensor buffers are reused instead of handed back to the OS.
/// </summary>
/// <remarks>
/// glibc serves allocations above its mmap threshold (128 KiB, adapting up to 32 MiB) with fresh mmap calls and returns them
/// with munmap, so every training step's activations arrive as new zeroed pages: page faults and kernel time on each step.
/// Measured on this project's 2-core CPU (ResNet-9 width 16, batch 512, oneDNN on): about 3.6x more training images per second
/// with the thresholds raised (Linux/glibc only; elsewhere nothing changes). The cost: the process keeps its peak memory.
/// </remarks>
public static class CpuMemory
{
    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    static extern int MallOpt(int param, int value);

    /// <summary>Whether <see cref="ReuseFreedMemory"/> has taken effect in this process.</summary>
    public static bool Reusing { get; private set; }

    /// <summary>
    /// Raises glibc's mmap and trim thresholds (process-wide, for the rest of the process); returns whether it took effect.
    /// Safe to call more than once and on any OS (false where glibc is not there).
    /// </summary>
    public static bool ReuseFreedMemory()
    {
        if (Reusing) return true;
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // glibc caps the mmap threshold (32 MiB on 64-bit in newer versions); try high first, then the cap.
            bool mmap = MallOpt(M_MMAP_THRESHOLD, 1 << 30) == 1 || MallOpt(M_MMAP_THRESHOLD, 32 << 20) == 1;
            bool trim = MallOpt(M_TRIM_THRESHOLD, 1 << 30) == 1;
            return Reusing = mmap && trim;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (e.g. musl): leave the allocator alone
        }
    }
}

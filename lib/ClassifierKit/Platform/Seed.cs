using TorchSharp;

namespace ClassifierKit.Platform;

/// <summary>One switch for reproducible runs: torch's global generator and the seeds of loaders and augmentations created afterwards.</summary>
public static class Seed
{
    static readonly object Gate = new();
    static long _base = 0x5EED;
    static long _drawn;

    /// <summary>Seeds torch (CPU and CUDA) and restarts the sequence that later <see cref="Data.BatchLoader"/>s and <see cref="Data.Augmentation"/>s draw their generator seeds from.</summary>
    public static void Everything(int seed)
    {
        lock (Gate)
        {
            torch.manual_seed(seed);
            if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
            _base = seed;
            _drawn = 0;
        }
    }

    /// <summary>The next seed of the sequence started by <see cref="Everything"/>; each loader or augmentation created without an explicit seed takes one.</summary>
    public static long Next()
    {
        lock (Gate)
        {
            // SplitMix64 step: distinct, well-mixed seeds for consecutive components.
            ulong z = unchecked((ulong)_base + 0x9E3779B97F4A7C15UL * (ulong)(++_drawn));
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            return (long)((z ^ (z >> 31)) & 0x7FFF_FFFF_FFFF_FFFFUL);
        }
    }
}

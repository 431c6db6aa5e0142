using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Platform;

/// <summary>
/// libtorch's automatic mixed precision ("autocast", PyTorch's <c>torch.autocast(device, dtype)</c>), which TorchSharp 0.107
/// does not expose: inside a region, matrix multiplications and convolutions run in a lower precision (bfloat16 or float16)
/// while the weights, their gradients and precision-sensitive ops (losses, softmax, reductions) stay float32. We switch
/// libtorch's own thread-local state through its exported functions (Linux x64 symbol names; elsewhere
/// <see cref="Available"/> is false).
/// </summary>
public static unsafe class Autocast
{
    static readonly delegate* unmanaged<sbyte, byte, void> SetEnabled;
    static readonly delegate* unmanaged<sbyte, byte> IsEnabled;
    static readonly delegate* unmanaged<sbyte, sbyte, void> SetDtype;
    static readonly delegate* unmanaged<void> ClearCache;
    static readonly delegate* unmanaged<int> IncrementNesting;
    static readonly delegate* unmanaged<int> DecrementNesting;

    static Autocast()
    {
        if (LibTorchExports.TryGet("_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb", out var set) &&
            LibTorchExports.TryGet("_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE", out var get) &&
            LibTorchExports.TryGet("_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE", out var dtype) &&
            LibTorchExports.TryGet("_ZN2at8autocast11clear_cacheEv", out var clear) &&
            LibTorchExports.TryGet("_ZN2at8autocast17increment_nestingEv", out var inc) &&
            LibTorchExports.TryGet("_ZN2at8autocast17decrement_nestingEv", out var dec))
        {
            SetEnabled = (delegate* unmanaged<sbyte, byte, void>)set;
            IsEnabled = (delegate* unmanaged<sbyte, byte>)get;
            SetDtype = (delegate* unmanaged<sbyte, sbyte, void>)dtype;
            ClearCache = (delegate* unmanaged<void>)clear;
            IncrementNesting = (delegate* unmanaged<int>)inc;
            DecrementNesting = (delegate* unmanaged<int>)dec;
        }
    }

    /// <summary>Whether this process can switch autocast on.</summary>
    public static bool Available => SetEnabled != null;

    /// <summary>Whether autocast is on for <paramref name="device"/> on this thread.</summary>
    public static bool Enabled(DeviceType device) => Available && IsEnabled((sbyte)device) != 0;

    /// <summary>
    /// Runs the ops of this thread on <paramref name="device"/> in <paramref name="dtype"/> (BFloat16 or Float16) where
    /// autocast's op lists allow it, until the returned region is disposed; like <c>with torch.autocast(device, dtype):</c>.
    /// </summary>
    public static IDisposable Region(DeviceType device, ScalarType dtype)
    {
        if (!Available)
            throw new PlatformNotSupportedException(
                "Mixed precision needs libtorch's autocast switch, which this platform does not expose to ClassifierKit (Linux x64 only); train in Float32.");
        if (dtype is not (ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"autocast runs in BFloat16 or Float16, not {dtype}", nameof(dtype));
        bool was = IsEnabled((sbyte)device) != 0;
        SetDtype((sbyte)device, (sbyte)dtype);
        SetEnabled((sbyte)device, 1);
        IncrementNesting();
        return new Restore(device, was);
    }

    /// <summary>
    /// Runs the ops of this thread on <paramref name="device"/> without autocast until the returned region is disposed, inside
    /// an autocast region too; like a nested <c>with torch.autocast(device, enabled=False):</c>.
    /// </summary>
    public static IDisposable Suspended(DeviceType device)
    {
        bool was = Enabled(device);
        if (was) SetEnabled((sbyte)device, 0);
        return new Resume(device, was);
    }

    sealed class Resume(DeviceType device, bool was) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            if (was) SetEnabled((sbyte)device, 1);
        }
    }

    sealed class Restore(DeviceType device, bool was) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            // As torch.autocast.__exit__: the outermost region drops the cached low-precision copies of the weights, which
            // the next optimizer step makes stale.
            if (DecrementNesting() == 0) ClearCache();
            SetEnabled((sbyte)device, was ? (byte)1 : (byte)0);
        }
    }
}

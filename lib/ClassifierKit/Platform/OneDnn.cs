using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClassifierKit.Platform;

/// <summary>
/// Switches libtorch's oneDNN (MKL-DNN) CPU kernels off while training or evaluating models that trip a oneDNN bug.
/// </summary>
/// <remarks>
/// Two bugs of libtorch 2.10's bundled oneDNN 3.7.1, measured on this project's machines (AMD EPYC with AVX-512):
/// <list type="bullet">
/// <item>The backward pass of a convolution whose output channel count is not a multiple of 16, when gradients flow into its
/// input, intermittently returns NaN (TinyVGG with 10 hidden units: NaN gradients in most steps; 16 or 32 channels: never).
/// Capping the ISA to AVX2 or using one thread does not help.</item>
/// <item>The forward pass of a convolution with more than 16 input channels that are not a multiple of 16 (20, 24, 40, 56, 72
/// tested) is silently wrong, about 19% off a float64 reference, in float32 and bfloat16 alike; 3 to 16, 32, 48 and 64 input
/// channels are right.</item>
/// </list>
/// libtorch's own convolution is right in both cases. TorchSharp exposes no switch, so we call libtorch's exported
/// at::Context::setUserEnabledMkldnn (Linux x64; elsewhere <see cref="Available"/> is false and nothing changes).
/// Models whose widths are multiples of 16 (ResNets, the 80:20 ResNet-9) and small ones like the tutorial CNN keep oneDNN,
/// which is 2-3x faster for them.
/// </remarks>
public static unsafe class OneDnn
{
    static readonly delegate* unmanaged<IntPtr> GlobalContext;
    static readonly delegate* unmanaged<IntPtr, byte, void> SetEnabled;
    static readonly delegate* unmanaged<IntPtr, byte> GetEnabled;
    static readonly delegate* unmanaged<IntPtr, byte, void> SetNnpack;
    static readonly delegate* unmanaged<IntPtr, byte> GetNnpack;

    static OneDnn()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var _ = torch.ones(1); // makes sure TorchSharp has loaded libtorch
        var dir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "";
        foreach (var candidate in new[] { "libtorch_cpu.so", Path.Combine(dir, "libtorch_cpu.so") })
        {
            if (!NativeLibrary.TryLoad(candidate, out var lib)) continue;
            if (NativeLibrary.TryGetExport(lib, "_ZN2at13globalContextEv", out var ctx) &&
                NativeLibrary.TryGetExport(lib, "_ZN2at7Context20setUserEnabledMkldnnEb", out var set) &&
                NativeLibrary.TryGetExport(lib, "_ZNK2at7Context17userEnabledMkldnnEv", out var get))
            {
                GlobalContext = (delegate* unmanaged<IntPtr>)ctx;
                SetEnabled = (delegate* unmanaged<IntPtr, byte, void>)set;
                GetEnabled = (delegate* unmanaged<IntPtr, byte>)get;
                if (NativeLibrary.TryGetExport(lib, "_ZN2at7Context20setUserEnabledNNPACKEb", out var setNn) &&
                    NativeLibrary.TryGetExport(lib, "_ZNK2at7Context17userEnabledNNPACKEv", out var getNn))
                {
                    SetNnpack = (delegate* unmanaged<IntPtr, byte, void>)setNn;
                    GetNnpack = (delegate* unmanaged<IntPtr, byte>)getNn;
                }
                return;
            }
        }
    }

    /// <summary>Whether this process can switch oneDNN on and off.</summary>
    public static bool Available => GlobalContext != null;

    /// <summary>Whether libtorch may use oneDNN kernels (always true where the switch is not available).</summary>
    public static bool Enabled
    {
        get => !Available || GetEnabled(GlobalContext()) != 0;
        set { if (Available) SetEnabled(GlobalContext(), value ? (byte)1 : (byte)0); }
    }

    /// <summary>
    /// True when running <paramref name="model"/> on the CPU would hit either bug: a convolution after the first one (so
    /// gradients flow into its input) with an output channel count that is not a multiple of 16, or any convolution with
    /// more than 16 input channels that are not a multiple of 16.
    /// </summary>
    public static bool Affects(nn.Module model)
    {
        var convs = model.modules().OfType<Conv2d>().ToList();
        return convs.Skip(1).Any(conv => conv.weight!.shape[0] % 16 != 0)
            || convs.Any(conv => conv.weight!.shape[1] > 16 && conv.weight.shape[1] % 16 != 0);
    }

    /// <summary>
    /// Switches oneDNN off until the returned scope is disposed when <paramref name="model"/> is affected and trains on
    /// the CPU; otherwise returns null and changes nothing.
    /// </summary>
    public static IDisposable? AvoidBugFor(nn.Module model, Device device, Action<string>? report = null)
    {
        if (device.type != DeviceType.CPU || !Available || !Enabled || !Affects(model)) return null;
        report?.Invoke("note: oneDNN is off while this model runs: its convolution widths trigger a oneDNN 3.7.1 bug on this CPU (see ClassifierKit.Platform.OneDnn).");
        Enabled = false;
        // libtorch's own convolution then tries NNPACK first, which cannot start on many CPUs (this one included)
        // and logs a warning on every call; it is never faster here, so it stays off for the same scope.
        bool nnpack = GetNnpack != null && GetNnpack(GlobalContext()) != 0;
        if (nnpack) SetNnpack(GlobalContext(), 0);
        return new Restore(nnpack);
    }

    /// <summary>
    /// Switches libtorch's NNPACK convolutions off for the rest of the process; returns whether it was on. libtorch tries
    /// NNPACK for small CPU convolutions that oneDNN does not take (a batch of one or two images); on CPUs it does not support
    /// (this project's included) it fails to start and prints a warning on every such call, and where it does start it is not
    /// faster than libtorch's own kernels at these sizes.
    /// </summary>
    public static bool DisableNnpack()
    {
        if (GetNnpack == null || GetNnpack(GlobalContext()) == 0) return false;
        SetNnpack(GlobalContext(), 0);
        return true;
    }

    sealed class Restore(bool nnpack) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            Enabled = true;
            if (nnpack) SetNnpack(GlobalContext(), 1);
        }
    }
}

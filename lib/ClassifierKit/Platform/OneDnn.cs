using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClassifierKit.Platform;

/// <summary>
/// Switches libtorch's oneDNN (MKL-DNN) CPU kernels off while a model runs whose convolutions would hit a oneDNN bug that a
/// short probe has found on this CPU; everywhere else oneDNN stays on.
/// </summary>
/// <remarks>
/// Two bugs of libtorch 2.10's bundled oneDNN 3.7.1, measured on some of this project's machines (an AMD EPYC with AVX-512
/// and AVX512-BF16) and absent on others (a later AMD EPYC, and an Intel Xeon with AMX):
/// <list type="bullet">
/// <item>The backward pass of a convolution whose output channel count is not a multiple of 16, when gradients flow into its
/// input, intermittently returns NaN (TinyVGG with 10 hidden units: NaN gradients in most steps; 16 or 32 channels: never).</item>
/// <item>The forward pass of a convolution with more than 16 input channels that are not a multiple of 16 (20, 24, 40, 56, 72
/// tested) is silently wrong, about 19% off a float64 reference, in float32 and bfloat16 alike.</item>
/// </list>
/// Which CPUs have them cannot be told from the CPU's name or flags, so each is measured once per process, the first time a
/// model with shapes at risk meets the guard (<see cref="OneDnnProbe"/>): 42 ms for the forward probe and 69 ms for the
/// backward one on an AMD EPYC with 2 cores, most of it oneDNN setting up its kernels. The guard acts only where the probe found the bug, and says so. libtorch's own convolution is
/// right in both cases; TorchSharp exposes no switch, so we call libtorch's exported at::Context::setUserEnabledMkldnn
/// (Linux x64; elsewhere <see cref="Available"/> is false and nothing changes). The environment variable
/// <see cref="ProbeVariable"/> forces the probe's answer (for tests, and for a CPU where you know better).
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
        if (LibTorchExports.TryGet("_ZN2at13globalContextEv", out var ctx) &&
            LibTorchExports.TryGet("_ZN2at7Context20setUserEnabledMkldnnEb", out var set) &&
            LibTorchExports.TryGet("_ZNK2at7Context17userEnabledMkldnnEv", out var get))
        {
            GlobalContext = (delegate* unmanaged<IntPtr>)ctx;
            SetEnabled = (delegate* unmanaged<IntPtr, byte, void>)set;
            GetEnabled = (delegate* unmanaged<IntPtr, byte>)get;
            if (LibTorchExports.TryGet("_ZN2at7Context20setUserEnabledNNPACKEb", out var setNn) &&
                LibTorchExports.TryGet("_ZNK2at7Context17userEnabledNNPACKEv", out var getNn))
            {
                SetNnpack = (delegate* unmanaged<IntPtr, byte, void>)setNn;
                GetNnpack = (delegate* unmanaged<IntPtr, byte>)getNn;
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
    /// Set to "present" or "absent" to force what the probe would measure (both bugs at once); "measure", or unset, measures.
    /// The test suite runs with each value to prove the guard on CPUs with and without the bugs.
    /// </summary>
    public const string ProbeVariable = "CLASSIFIERKIT_ONEDNN_BUGS";

    static readonly Lazy<OneDnnFinding> MeasuredForward = new(() => OneDnnProbe.Forward());
    static readonly Lazy<OneDnnFinding> MeasuredBackward = new(() => OneDnnProbe.Backward());
    static bool? _forcedByTest;

    /// <summary>What the guard goes by for the forward bug: the forced answer, else this process's measurement (made on first use).</summary>
    public static OneDnnFinding ForwardBug => Decide(MeasuredForward);

    /// <summary>What the guard goes by for the backward bug: the forced answer, else this process's measurement (made on first use).</summary>
    public static OneDnnFinding BackwardBug => Decide(MeasuredBackward);

    /// <summary>The forward bug as measured on this CPU, whatever is forced (for a check that needs the real answer).</summary>
    public static OneDnnFinding MeasuredForwardBug => Available ? MeasuredForward.Value : new OneDnnFinding(false, "oneDNN's switch is not reachable here");

    /// <summary>The backward bug as measured on this CPU, whatever is forced.</summary>
    public static OneDnnFinding MeasuredBackwardBug => Available ? MeasuredBackward.Value : new OneDnnFinding(false, "oneDNN's switch is not reachable here");

    /// <summary>Both findings in one line, e.g. for a benchmark's header: probing both if they were not yet.</summary>
    public static string Describe() => $"oneDNN convolution bugs: forward {ForwardBug}; backward {BackwardBug}";

    static OneDnnFinding Decide(Lazy<OneDnnFinding> measured)
    {
        if (Forced() is { } forced)
            return new OneDnnFinding(forced.present, forced.by, Forced: true);
        return Available ? measured.Value : new OneDnnFinding(false, "oneDNN's switch is not reachable here");
    }

    static (bool present, string by)? Forced()
    {
        if (_forcedByTest is { } test) return (test, "by a test");
        var value = Environment.GetEnvironmentVariable(ProbeVariable)?.Trim().ToLowerInvariant();
        return value switch
        {
            null or "" or "measure" => null,
            "present" => (true, $"{ProbeVariable}=present"),
            "absent" => (false, $"{ProbeVariable}=absent"),
            _ => throw new InvalidOperationException(
                $"{ProbeVariable}={value} is not understood: use present, absent or measure (or unset it to measure)."),
        };
    }

    /// <summary>Forces both findings to <paramref name="present"/> (null: measure) until the returned scope ends; for tests.</summary>
    internal static IDisposable ForceForTest(bool? present)
    {
        var before = _forcedByTest;
        _forcedByTest = present;
        return new Undo(() => _forcedByTest = before);
    }

    /// <summary>Which bugs <paramref name="model"/>'s convolution shapes could hit, whether or not this CPU has them.</summary>
    /// <returns>forward: a convolution with more than 16 input channels that are not a multiple of 16; backward: a
    /// convolution after the first one (so gradients flow into its input) with an output count that is not a multiple of 16.</returns>
    public static (bool forward, bool backward) ShapesAtRisk(nn.Module model)
    {
        var convs = model.modules().OfType<Conv2d>().ToList();
        return (convs.Any(conv => conv.weight!.shape[1] > 16 && conv.weight.shape[1] % 16 != 0),
                convs.Skip(1).Any(conv => conv.weight!.shape[0] % 16 != 0));
    }

    /// <summary>
    /// True when running <paramref name="model"/> on this CPU would hit a bug the probe found here: its shapes are at risk
    /// (<see cref="ShapesAtRisk"/>) of a bug that is present. A probe runs only for a model whose shapes are at risk.
    /// </summary>
    public static bool Affects(nn.Module model) => Why(model) is not null;

    static string? Why(nn.Module model)
    {
        var (forward, backward) = ShapesAtRisk(model);
        if (forward && ForwardBug.Present) return $"a convolution over more than 16 input channels that are not a multiple of 16, and the forward bug is {ForwardBug}";
        if (backward && BackwardBug.Present) return $"a convolution whose outputs are not a multiple of 16, and the backward bug is {BackwardBug}";
        return null;
    }

    /// <summary>
    /// Switches oneDNN off until the returned scope is disposed when <paramref name="model"/> runs on the CPU and
    /// <see cref="Affects"/> it, saying why through <paramref name="report"/>; otherwise returns null and changes nothing.
    /// </summary>
    public static IDisposable? AvoidBugFor(nn.Module model, Device device, Action<string>? report = null)
    {
        if (device.type != DeviceType.CPU || !Available || !Enabled || Why(model) is not { } why) return null;
        report?.Invoke($"note: oneDNN is off while this model runs: it has {why} on this CPU (see ClassifierKit.Platform.OneDnn).");
        Enabled = false;
        // libtorch's own convolution then tries NNPACK first, which cannot start on many CPUs and logs a warning on every
        // call; it is never faster here, so it stays off for the same scope.
        bool nnpack = GetNnpack != null && GetNnpack(GlobalContext()) != 0;
        if (nnpack) SetNnpack(GlobalContext(), 0);
        return new Undo(() =>
        {
            Enabled = true;
            if (nnpack) SetNnpack(GlobalContext(), 1);
        });
    }

    /// <summary>
    /// Switches libtorch's NNPACK convolutions off for the rest of the process; returns whether it was on. libtorch tries
    /// NNPACK for small CPU convolutions that oneDNN does not take (a batch of one or two images); on CPUs it does not support
    /// it fails to start and prints a warning on every such call, and where it does start it is not faster than libtorch's
    /// own kernels at these sizes (measured on this project's machines).
    /// </summary>
    public static bool DisableNnpack()
    {
        if (GetNnpack == null || GetNnpack(GlobalContext()) == 0) return false;
        SetNnpack(GlobalContext(), 0);
        return true;
    }

    sealed class Undo(Action undo) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            undo();
        }
    }
}

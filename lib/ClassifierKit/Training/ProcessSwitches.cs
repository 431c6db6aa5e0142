using TorchSharp;
using ClassifierKit.Platform;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>The process-wide switches a training run may flip, each said once in the run's output when it is flipped.</summary>
internal static class ProcessSwitches
{
    /// <summary>Applies the switches <paramref name="options"/> ask for; the returned scope undoes the run-scoped ones (oneDNN).</summary>
    public static IDisposable? For(nn.Module model, Device device, TrainingOptions options, Action<string> report)
    {
        if (options.ReuseFreedMemory && device.type == DeviceType.CPU && !CpuMemory.Reusing && CpuMemory.ReuseFreedMemory())
            report("note: the C allocator now keeps freed tensor memory for reuse (CpuMemory.ReuseFreedMemory): faster steps; " +
                   "process-wide, so this process keeps its peak memory. TrainingOptions.ReuseFreedMemory = false opts out.");
        if (device.type == DeviceType.CPU && OneDnn.DisableNnpack())
            report("note: libtorch's NNPACK convolutions are now off (OneDnn.DisableNnpack): they cannot start on this CPU and warn on every call; process-wide.");
        return OneDnn.AvoidBugFor(model, device, report);
    }
}

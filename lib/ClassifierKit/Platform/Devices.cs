using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Platform;

/// <summary>Picks where tensors live: a CUDA GPU when TorchSharp sees one, else the CPU.</summary>
public static class Devices
{
    /// <summary>CUDA when available (needs the CUDA build: -p:TorchBackend=cuda), else the CPU.</summary>
    public static Device Best() => cuda.is_available() ? CUDA : CPU;

    /// <summary>A one-line description, e.g. "CPU, 2 threads" or "CUDA, 1 GPU".</summary>
    public static string Describe(Device device) =>
        device.type == DeviceType.CUDA
            ? $"CUDA, {cuda.device_count()} GPU{(cuda.device_count() == 1 ? "" : "s")} (libtorch {__version__})"
            : $"CPU, {get_num_threads()} threads (libtorch {__version__}; no CUDA device visible)";
}

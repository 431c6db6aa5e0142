using System.Runtime.InteropServices;
using TorchSharp;

namespace ClassifierKit.Platform;

/// <summary>
/// Functions libtorch exports but TorchSharp does not wrap (oneDNN's switch, autocast's state, the denormal flag), found by
/// their mangled C++ names: the Itanium ABI of Linux x64. Elsewhere nothing is found, and each caller says what that means.
/// </summary>
internal static class LibTorchExports
{
    /// <summary>The address of <paramref name="symbol"/> in the libtorch_cpu TorchSharp loaded; false off Linux or when it is absent.</summary>
    public static bool TryGet(string symbol, out IntPtr address)
    {
        address = IntPtr.Zero;
        if (!OperatingSystem.IsLinux()) return false;
        using var _ = torch.ones(1); // makes sure TorchSharp has loaded libtorch
        var dir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "";
        foreach (var candidate in new[] { "libtorch_cpu.so", Path.Combine(dir, "libtorch_cpu.so") })
            if (NativeLibrary.TryLoad(candidate, out var lib) && NativeLibrary.TryGetExport(lib, symbol, out address)) return true;
        return false;
    }
}

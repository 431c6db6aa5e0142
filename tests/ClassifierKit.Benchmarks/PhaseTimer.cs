using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>The four parts of a step.</summary>
public enum StepPart { Data, Forward, Backward, Optimizer }

/// <summary>
/// Splits steps into <see cref="StepPart"/>s with one Stopwatch: <see cref="Mark"/> charges the time since the previous
/// mark to a part. On CUDA it synchronizes the device before every clock read, so queued kernels are charged to the part
/// that launched them (the CPU runs synchronously and needs nothing).
/// </summary>
public sealed class PhaseTimer
{
    readonly Stopwatch clock = new();
    readonly bool cuda;
    readonly long[] ticks = new long[4];
    long last;

    public PhaseTimer(Device device) => cuda = device.type == DeviceType.CUDA;

    /// <summary>Clears the totals and starts the clock; the next <see cref="Mark"/> measures from here.</summary>
    public void Restart()
    {
        Array.Clear(ticks);
        Sync();
        clock.Restart();
        last = 0;
    }

    /// <summary>Charges the time since the previous mark (or <see cref="Restart"/>) to <paramref name="part"/>.</summary>
    public void Mark(StepPart part)
    {
        Sync();
        var now = clock.ElapsedTicks;
        ticks[(int)part] += now - last;
        last = now;
    }

    /// <summary>Moves the reference point to now without charging anything (time between steps goes uncounted).</summary>
    public void Skip()
    {
        Sync();
        last = clock.ElapsedTicks;
    }

    /// <summary>Wall time since <see cref="Restart"/>, in seconds (after a device sync).</summary>
    public double ElapsedSeconds
    {
        get { Sync(); return clock.ElapsedTicks / (double)Stopwatch.Frequency; }
    }

    /// <summary>Total milliseconds charged to <paramref name="part"/> since <see cref="Restart"/>.</summary>
    public double Milliseconds(StepPart part) => ticks[(int)part] * 1000.0 / Stopwatch.Frequency;

    void Sync()
    {
        if (cuda) torch.cuda.synchronize();
    }
}

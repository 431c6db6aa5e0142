using TorchSharp;
using ClassifierKit.Data;
using ClassifierKit.Models;
using ClassifierKit.Platform;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>The process-wide switches a training run may flip, each said once in the run's output when it is flipped.</summary>
internal static class ProcessSwitches
{
    /// <summary>
    /// Forward passes cheaper than this many multiply-adds per batch train faster on one thread: measured on this project's
    /// 2-core CPU, the tutorial's Net at batch 4 (2.6 million) took 0.97 ms per step on one thread against 1.35 ms on two (the
    /// thread pool's hand-offs cost more than the work they split); from batch 16 (10 million) two threads won. Checked again
    /// on 2026-12-07 (AMD EPYC), in a notebook kernel, where it matters: Net at batch 4 through <c>Trainer.Fit</c> ran at
    /// 4,999 / 5,335 / 5,472 images/s on one thread against 4,935 / 4,942 / 4,680 on two, alternating. (In a bare console
    /// process two threads won 5 of 7 such pairs; the notebook decides, since that is where training runs.)
    /// </summary>
    public const long OneThreadBelow = 5_000_000;

    /// <summary>Applies the switches <paramref name="options"/> ask for; the returned scope undoes the run-scoped ones (oneDNN, threads).</summary>
    public static IDisposable? For(nn.Module<Tensor, Tensor> model, BatchLoader loader, TrainingOptions options, Action<string> report)
    {
        var device = loader.Device;
        var threads = Threads(model, loader, options, report);
        if (options.ReuseFreedMemory && device.type == DeviceType.CPU && !CpuMemory.Reusing && CpuMemory.ReuseFreedMemory())
            report("note: the C allocator now keeps freed tensor memory for reuse (CpuMemory.ReuseFreedMemory): faster steps; " +
                   "process-wide, so this process keeps its peak memory. TrainingOptions.ReuseFreedMemory = false opts out.");
        if (options.FlushDenormals && device.type == DeviceType.CPU) Denormals.FlushToZero();   // per thread, so at every run
        if (options.MklByCpuFeatures && device.type == DeviceType.CPU && MklDispatch.State == MklDispatchState.AsShipped)
            report($"note: MKL: {MklDispatch.Describe(MklDispatch.ByCpuFeatures())}; process-wide.");
        if (device.type == DeviceType.CPU && OneDnn.DisableNnpack())
            report("note: libtorch's NNPACK convolutions are now off (OneDnn.DisableNnpack): on CPUs they do not support they warn on every call, and they are not faster elsewhere; process-wide.");
        var oneDnn = OneDnn.AvoidBugFor(model, device, report);
        return threads is null && oneDnn is null ? null : new Both(threads, oneDnn);
    }

    static IDisposable? Threads(nn.Module<Tensor, Tensor> model, BatchLoader loader, TrainingOptions options, Action<string> report)
    {
        if (loader.Device.type != DeviceType.CPU) return null;
        int before = get_num_threads(), wanted = options.Threads ?? before;
        if (options.Threads is null && before > 1)
        {
            var shape = loader.Dataset.Images.shape;
            long perBatch;
            try
            {
                perBatch = ModelSummary.MultiplyAdds(model, 1, shape[1], shape[2], shape[3]) * loader.BatchSize;
            }
            catch (Exception e) when (TorchOperationException.IsTorchFailure(e))
            {
                return null;   // the model cannot take these images: the first mini-batch reports that, naming where
            }
            if (perBatch < OneThreadBelow)
            {
                wanted = 1;
                report($"note: training on 1 thread (of {before}): a batch costs {perBatch / 1e6:F1} million multiply-adds, too little to split " +
                       "(TrainingOptions.Threads sets the number).");
            }
        }
        if (wanted == before) return null;
        set_num_threads(wanted);
        return new ThreadCount(before);
    }

    sealed class ThreadCount(int before) : IDisposable
    {
        public void Dispose() => set_num_threads(before);
    }

    sealed class Both(IDisposable? first, IDisposable? second) : IDisposable
    {
        public void Dispose()
        {
            second?.Dispose();
            first?.Dispose();
        }
    }
}

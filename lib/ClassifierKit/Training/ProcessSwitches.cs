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
    /// Forward passes cheaper than this many multiply-adds per batch train no slower on one thread, which leaves the other
    /// core to the notebook: measured on this project's 2-core CPU (AMD EPYC, 2026-12-07, <c>Trainer.Fit</c>), the Fashion-MNIST
    /// lab's linear models at batch 32 (0.25 million) ran at 345,000 / 366,000 images/s on one thread against 272,000 / 357,000
    /// on two. The tutorial's Net at batch 4 (2.6 million) was below the first threshold, 5 million, when one thread won
    /// (0.97 against 1.35 ms per step); with denormals flushed and gradients dropped, two threads won 5 of 7 runs
    /// (medians 6,191 against 5,574 images/s), so it now trains on two.
    /// </summary>
    public const long OneThreadBelow = 1_000_000;

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

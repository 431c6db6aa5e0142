using ClassifierKit.Platform;
using ClassifierKit.Training;
using Microsoft.DotNet.Interactive;

namespace ClassifierKit.Interactive;

/// <summary>
/// The notebook layer, switched on by the first cell of every notebook: charts, images, tables, models and tensors get
/// formatters; training shows a live progress bar; the Stop button (VS Code, Jupyter's message mode) and Jupyter's
/// interrupt (SIGINT) stop <c>Trainer.Fit</c>, <c>Evaluation.Evaluate</c> and the recipes cleanly.
/// </summary>
public static class NotebookSupport
{
    static readonly object Gate = new();
    static bool _enabled;

    /// <summary>Whether the notebook layer is on in this process.</summary>
    public static bool Enabled => _enabled;

    /// <summary>Switches the notebook layer on (once per kernel; later calls change nothing) and prints what it did.</summary>
    public static void Enable()
    {
        lock (Gate)
        {
            if (!_enabled)
            {
                Formatters.Register();
                TrainingDefaults.ProgressReporter = title => NotebookProgressReporter.Create(title);
                // The cell's own cancellation token: VS Code's Stop (and a Cancel command) cancels it.
                StopRequests.AddSource(() => KernelInvocationContext.Current?.CancellationToken ?? CancellationToken.None);
                Interrupts.Install();
                OneDnn.DisableNnpack(); // it cannot start on many CPUs and would print a warning into cells on every small convolution
                MklDispatch.ByCpuFeatures(); // before any cell's first matrix product, the only time MKL listens
                _enabled = true;
            }
        }
        Console.WriteLine($"ClassifierKit notebook support on: {Devices.Describe(Devices.Best())}; " +
                          $"charts as {string.Join(" + ", Formatters.ChartMimeTypes)}; Stop: {Interrupts.Description}.");
    }
}

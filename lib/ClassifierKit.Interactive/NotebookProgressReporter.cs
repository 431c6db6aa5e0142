using System.Net;
using ClassifierKit.Training;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace ClassifierKit.Interactive;

/// <summary>
/// Training progress in a notebook: one output that updates in place (a tqdm-like bar with it/s and ETA), plus printed lines
/// (the blog's running loss, one summary per epoch) so a saved or exported notebook reads well too: exporters keep only the
/// first value of an updated output.
/// </summary>
internal sealed class NotebookProgressReporter : IProgressReporter
{
    readonly DisplayedValue? _bar;
    readonly string _title;

    NotebookProgressReporter(DisplayedValue? bar, string title) => (_bar, _title) = (bar, title);

    /// <summary>A reporter whose bar lives in the current cell (a plain console reporter when no cell is running).</summary>
    public static IProgressReporter Create(string title)
    {
        var context = KernelInvocationContext.Current;
        if (context is null) return new ConsoleProgressReporter();
        // The context's Display returns the very value it published, so Update targets that output (Kernel.display returns
        // a copy with another id in this kernel version, and its updates land nowhere).
        return new NotebookProgressReporter(context.Display(new ProgressBar(title, null), "text/html", "text/plain"), title);
    }

    public void OnProgress(TrainingProgress progress) => _bar?.Update(new ProgressBar(_title, progress));

    public void OnMessage(string line) => Console.WriteLine(line);

    public void OnEpochEnd(EpochRecord epoch) => Console.WriteLine(ConsoleProgressReporter.EpochLine(epoch));

    /// <summary>What the bar shows: the title before the first step, then the bar.</summary>
    internal sealed class ProgressBar(string title, TrainingProgress? progress)
    {
        static ProgressBar()
        {
            Formatter.Register<ProgressBar>((bar, w) => w.Write(bar.ToHtml()), "text/html");
            Formatter.Register<ProgressBar>((bar, w) => w.Write(bar.ToString()), "text/plain");
        }

        public string ToHtml()
        {
            if (progress is null)
                return $"<div style=\"font-family:monospace\">{WebUtility.HtmlEncode(title)}: starting…</div>";
            var text = ConsoleProgressReporter.Format(progress);
            return "<div style=\"font-family:monospace;white-space:pre\">" +
                   $"<progress value=\"{progress.Fraction * 100:F1}\" max=\"100\" style=\"width:240px;vertical-align:middle\"></progress> " +
                   $"{WebUtility.HtmlEncode(title)}: {WebUtility.HtmlEncode(text)}</div>";
        }

        public override string ToString() => progress is null ? $"{title}: starting" : $"{title}: {ConsoleProgressReporter.Format(progress)}";
    }
}

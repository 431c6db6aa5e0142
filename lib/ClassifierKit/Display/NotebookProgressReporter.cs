using System.Net;
using ClassifierKit.Training;

namespace ClassifierKit.Display;

/// <summary>
/// Training progress in a notebook: one display element that updates in place (a tqdm-like bar with it/s and ETA),
/// plus printed lines (the blog's running loss, one summary per epoch) so saved notebooks read well too:
/// Jupyter keeps only the first value of an updated display when it saves a notebook.
/// </summary>
public sealed class NotebookProgressReporter : IProgressReporter
{
    readonly DisplayHandle _handle;
    readonly string _title;

    NotebookProgressReporter(DisplayHandle handle, string title) { _handle = handle; _title = title; }

    /// <summary>A notebook reporter when running in a notebook kernel, else the console reporter.</summary>
    public static IProgressReporter Create(string title = "Training")
    {
        var initial = new ProgressBar(title, null);
        var handle = NotebookDisplay.Show(initial);
        return handle is null ? new ConsoleProgressReporter() : new NotebookProgressReporter(handle, title);
    }

    public void OnProgress(TrainingProgress progress) => _handle.Update(new ProgressBar(_title, progress));

    public void OnMessage(string line) => Console.WriteLine(line);

    public void OnEpochEnd(EpochRecord epoch)
    {
        var test = epoch.TestAccuracy is { } acc ? $", test loss {epoch.TestLoss:F3}, test accuracy {acc * 100:F1} %" : "";
        Console.WriteLine($"epoch {epoch.Epoch}: train loss {epoch.TrainLoss:F3}{test}, lr {epoch.LearningRate:G3}, {epoch.Seconds:F1} s");
    }

    /// <summary>What the display element shows: the title before the first step, then a bar.</summary>
    [TypeFormatterSource(typeof(HtmlFormatterSource))]
    sealed class ProgressBar(string title, TrainingProgress? progress) : IHtmlDisplayable
    {
        public string ToHtml()
        {
            if (progress is null)
                return $"<div style=\"font-family:monospace\">{WebUtility.HtmlEncode(title)}: starting…</div>";
            var percent = progress.Fraction * 100;
            var text = ConsoleProgressReporter.Format(progress);
            return "<div style=\"font-family:monospace;white-space:pre\">" +
                   $"<progress value=\"{percent:F1}\" max=\"100\" style=\"width:240px;vertical-align:middle\"></progress> " +
                   $"{WebUtility.HtmlEncode(title)}: {WebUtility.HtmlEncode(text)}</div>";
        }

        public override string ToString() => progress is null ? $"{title}: starting" : ConsoleProgressReporter.Format(progress);
    }
}

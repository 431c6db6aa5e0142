namespace ClassifierKit.Training;

/// <summary>A snapshot of training progress, enough to draw a tqdm-like bar anywhere (console, notebook display).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Total epochs of the run.</param>
/// <param name="Step">Mini-batches done in this epoch.</param>
/// <param name="TotalSteps">Mini-batches in this epoch.</param>
/// <param name="GlobalStep">Optimizer steps done since the start of training.</param>
/// <param name="Elapsed">Time spent in this epoch.</param>
/// <param name="ItemsPerSecond">Mini-batches per second in this epoch.</param>
/// <param name="Eta">Estimated time left in this epoch (null before the first step).</param>
/// <param name="RunningLoss">Mean loss since the last running-loss line (null before the first step).</param>
/// <param name="LearningRate">Learning rate in use.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int TotalSteps, long GlobalStep,
    TimeSpan Elapsed, double ItemsPerSecond, TimeSpan? Eta, double? RunningLoss, double LearningRate)
{
    /// <summary>Fraction of the epoch done, in [0, 1].</summary>
    public double Fraction => TotalSteps == 0 ? 1 : (double)Step / TotalSteps;
}

/// <summary>Receives structured progress from <see cref="Trainer"/>; implement it to render progress elsewhere (e.g. a notebook display).</summary>
public interface IProgressReporter
{
    /// <summary>Progress inside an epoch, throttled by <see cref="TrainingOptions.ProgressInterval"/> and always sent at the epoch's last step.</summary>
    void OnProgress(TrainingProgress progress);

    /// <summary>A text line meant for the reader, e.g. the blog's <c>[1,  2000] loss: 2.161</c> or <c>Finished Training</c>.</summary>
    void OnMessage(string line);

    /// <summary>An epoch finished (after evaluation).</summary>
    void OnEpochEnd(EpochRecord epoch);
}

/// <summary>A reporter that shows nothing.</summary>
public sealed class SilentProgressReporter : IProgressReporter
{
    /// <summary>The shared instance.</summary>
    public static readonly SilentProgressReporter Instance = new();
    public void OnProgress(TrainingProgress progress) { }
    public void OnMessage(string line) { }
    public void OnEpochEnd(EpochRecord epoch) { }
}

/// <summary>One tqdm-like line, redrawn in place on a terminal; when output is redirected, only the epoch's final bar and the messages are written.</summary>
public sealed class ConsoleProgressReporter : IProgressReporter
{
    readonly TextWriter _out;
    readonly bool _inPlace;
    string? _bar;

    /// <summary>Writes to <paramref name="output"/> (default Console.Out); <paramref name="inPlace"/> defaults to whether the console is a terminal.</summary>
    public ConsoleProgressReporter(TextWriter? output = null, bool? inPlace = null)
    {
        _out = output ?? Console.Out;
        _inPlace = inPlace ?? (output is null && !Console.IsOutputRedirected);
    }

    public void OnProgress(TrainingProgress progress)
    {
        _bar = Format(progress);
        if (_inPlace) _out.Write("\r" + _bar);
        else if (progress.Step == progress.TotalSteps) _out.WriteLine(_bar);
        _out.Flush();
    }

    public void OnMessage(string line)
    {
        if (_inPlace && _bar is not null) _out.Write("\r" + new string(' ', _bar.Length) + "\r");
        _out.WriteLine(line);
        if (_inPlace && _bar is not null) _out.Write(_bar);
        _out.Flush();
    }

    public void OnEpochEnd(EpochRecord epoch)
    {
        if (_inPlace && _bar is not null) _out.WriteLine();
        _bar = null;
        _out.WriteLine(EpochLine(epoch));
        _out.Flush();
    }

    /// <summary>One epoch's summary, e.g. <c>epoch 1: train loss 1.581, train accuracy 42.3 %, test loss 1.402, test accuracy 49.6 %, lr 0.001, 61.2 s</c>.</summary>
    public static string EpochLine(EpochRecord epoch)
    {
        var train = epoch.TrainAccuracy is { } t ? $", train accuracy {t * 100:F1} %" : "";
        var test = epoch.TestAccuracy is { } acc ? $", {epoch.EvaluatedOn.Name()} loss {epoch.TestLoss:F3}, {epoch.EvaluatedOn.Name()} accuracy {acc * 100:F1} %" : "";
        return FormattableString.Invariant($"epoch {epoch.Epoch}: train loss {epoch.TrainLoss:F3}{train}{test}, lr {epoch.LearningRate:G3}, {epoch.Seconds:F1} s");
    }

    /// <summary>The bar text, e.g. <c>epoch 1/2  62%|██████    | 7750/12500 [00:09&lt;00:05, 840.1 it/s] loss 1.62</c>.</summary>
    public static string Format(TrainingProgress p, int width = 10)
    {
        int filled = (int)Math.Floor(p.Fraction * width);
        var bar = new string('█', filled) + new string(' ', width - filled);
        var eta = p.Eta is { } e ? Clock(e) : "?";
        var loss = p.RunningLoss is { } l ? $" loss {l:F2}" : "";
        return $"epoch {p.Epoch}/{p.Epochs} {(int)Math.Floor(p.Fraction * 100),3}%|{bar}| {p.Step}/{p.TotalSteps} " +
               $"[{Clock(p.Elapsed)}<{eta}, {p.ItemsPerSecond:F1} it/s]{loss}";
    }

    static string Clock(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes:D2}:{t.Seconds:D2}";
}

using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>
/// One training, evaluation or prediction per model at a time. A notebook makes two at once easy (a cell started while a
/// stopped one still winds down, a training started on another thread), and two runs through one model interleave their
/// steps: libtorch fails with "modified by an inplace operation" or, worse, the weights end up unlike either run's. The
/// second call is refused at once, with what is running; calls made by the running one on its own thread (the evaluation at
/// the end of an epoch) go through.
/// </summary>
public static class ModelRuns
{
    sealed class Run(string what, int thread)
    {
        public string What { get; } = what;
        public int Thread { get; } = thread;
        public DateTime Started { get; } = DateTime.Now;
        public int Depth;
    }

    static readonly ConditionalWeakTable<nn.Module, Run> Running = new();

    /// <summary>What is running <paramref name="model"/> now, or null.</summary>
    public static string? Describe(nn.Module model)
    {
        lock (Running) return Running.TryGetValue(model, out var run) ? $"{run.What} (since {run.Started:HH:mm:ss})" : null;
    }

    /// <summary>Claims <paramref name="model"/> for <paramref name="what"/> until the returned scope ends.</summary>
    /// <exception cref="InvalidOperationException">Another call is using the model.</exception>
    public static IDisposable Enter(nn.Module model, string what)
    {
        int thread = Environment.CurrentManagedThreadId;
        lock (Running)
        {
            if (Running.TryGetValue(model, out var run))
            {
                if (run.Thread != thread)
                    throw new InvalidOperationException(
                        $"This {model.GetType().Name} is busy: {run.What} started at {run.Started:HH:mm:ss} and is still running. " +
                        $"{what} would interleave with it and leave weights that neither run meant. Wait until that cell ends, or " +
                        "press Stop on it and wait for its \"Stopped at\" line, then run this again.");
                run.Depth++;
                return new Leave(model, run);
            }
            var claim = new Run(what, thread) { Depth = 1 };
            Running.Add(model, claim);
            return new Leave(model, claim);
        }
    }

    sealed class Leave(nn.Module model, Run run) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            lock (Running)
            {
                if (_done) return;
                _done = true;
                if (--run.Depth == 0) Running.Remove(model);
            }
        }
    }
}

namespace ClassifierKit.Platform;

/// <summary>
/// Where requests to stop a long run come from besides the caller's own <see cref="CancellationToken"/>: a notebook's Stop
/// button, Ctrl+C in Jupyter. The notebook layer registers its sources here once; <c>Trainer.Fit</c>, <c>Evaluation.Evaluate</c>
/// and the recipes watch them, so a notebook cell needs no token argument to be stoppable.
/// </summary>
public static class StopRequests
{
    static readonly object Gate = new();
    static readonly List<Func<CancellationToken>> Sources = new();

    /// <summary>
    /// Adds a source, asked once at the start of every run for the token that stops that run (e.g. the current notebook
    /// cell's cancellation token). Returns a handle that removes it again.
    /// </summary>
    public static IDisposable AddSource(Func<CancellationToken> source)
    {
        lock (Gate) Sources.Add(source);
        return new Removal(source);
    }

    /// <summary>A token source that fires when <paramref name="caller"/> or any registered source fires; dispose it when the run ends.</summary>
    public static CancellationTokenSource ForRun(CancellationToken caller = default)
    {
        Func<CancellationToken>[] sources;
        lock (Gate) sources = Sources.ToArray();
        var tokens = sources.Select(Ask).Where(t => t.CanBeCanceled).Append(caller).ToArray();
        return CancellationTokenSource.CreateLinkedTokenSource(tokens);
    }

    static CancellationToken Ask(Func<CancellationToken> source)
    {
        try { return source(); }
        catch (InvalidOperationException) { return CancellationToken.None; } // a source with nothing to offer right now
    }

    sealed class Removal(Func<CancellationToken> source) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate) Sources.Remove(source);
        }
    }
}

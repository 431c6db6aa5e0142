using System.Collections;
using System.Reflection;
using System.Runtime.InteropServices;
using ClassifierKit.Platform;

namespace ClassifierKit.Interactive;

/// <summary>
/// Turns Jupyter's interrupt (SIGINT, its default "signal" mode) into a stop request instead of the end of the kernel.
/// </summary>
/// <remarks>
/// The Jupyter kernel runs under .NET's generic host, whose ConsoleLifetime answers SIGINT by shutting the application down:
/// pressing Interrupt lost every variable (and, during libtorch work, crashed the process). Its control channel ignores
/// interrupt_request, so SIGINT is the only way an interrupt arrives. We take SIGINT over: the host's handler is removed from
/// the runtime's registrations and ours cancels the run in progress (the trainer stops within one mini-batch). With no run in
/// progress an interrupt does nothing; the kernel keeps its state.
/// </remarks>
internal static class Interrupts
{
    static PosixSignalRegistration? _registration;
    static CancellationTokenSource _current = new();

    /// <summary>How stop requests arrive in this process, for the enable line.</summary>
    public static string Description { get; private set; } = "the cell's cancellation token";

    public static void Install()
    {
        StopRequests.AddSource(() => _current.Token);
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int removed = RemoveHostShutdownHandlers();
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true; // keep the process alive
            var stopped = Interlocked.Exchange(ref _current, new CancellationTokenSource());
            stopped.Cancel();
        });
        Description = removed > 0 || !Environment.GetCommandLineArgs().Contains("jupyter")
            ? "the cell's cancellation token and Ctrl+C / Jupyter's interrupt (SIGINT)"
            : "the cell's cancellation token (Jupyter's interrupt could not be taken over and still restarts the kernel)";
    }

    // The runtime keeps its SIGINT handlers in PosixSignalRegistration.s_registrations (Dictionary<int, List<Token>>, .NET 10).
    static int RemoveHostShutdownHandlers()
    {
        try
        {
            var field = typeof(PosixSignalRegistration).GetField("s_registrations", BindingFlags.NonPublic | BindingFlags.Static);
            if (field?.GetValue(null) is not IDictionary registrations) return 0;
            const int sigint = 2;
            lock (registrations)
            {
                if (!registrations.Contains(sigint) || registrations[sigint] is not IList tokens) return 0;
                var hostTokens = tokens.Cast<object>().Where(IsHostLifetimeHandler).ToList();
                foreach (var token in hostTokens) tokens.Remove(token);
                return hostTokens.Count;
            }
        }
        catch (Exception e) when (e is FieldAccessException or TargetException or InvalidCastException or MemberAccessException)
        {
            return 0;
        }
    }

    static bool IsHostLifetimeHandler(object token)
    {
        var handler = token.GetType().GetProperty("Handler", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(token) as Delegate;
        var owner = handler?.Target?.GetType().FullName ?? handler?.Method.DeclaringType?.FullName ?? "";
        return owner.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal);
    }
}

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
    const int RawSigint = 2; // the signal's number in the kernel; PosixSignal.SIGINT is a .NET-specific negative value
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
        Description = Describe(removed);
    }

    static string Describe(int removedHostHandlers)
    {
        if (InheritedIgnoredSigint())
            return "the cell's cancellation token only. This kernel was started with SIGINT ignored (a launch in the background, " +
                   "such as `jupyter notebook &` from a script, passes that on), so Jupyter's Interrupt cannot reach it; to get it " +
                   "back, start Jupyter from a terminal, or with SIGINT at its default";
        return removedHostHandlers > 0 || !Environment.GetCommandLineArgs().Contains("jupyter")
            ? "the cell's cancellation token and Ctrl+C / Jupyter's interrupt (SIGINT)"
            : "the cell's cancellation token (Jupyter's interrupt could not be taken over and still restarts the kernel)";
    }

    // A process started in the background by a non-interactive shell inherits SIGINT ignored, an ignored signal stays
    // ignored across exec, and the .NET runtime leaves an inherited SIG_IGN in place (seen in such a kernel: SIGINT set in
    // "SigIgn:", clear in "SigCgt:" after the registration above), so our handler never runs. Linux lists the ignored
    // signals in /proc/self/status: "SigIgn:", a hex mask whose bit n-1 is signal n.
    static bool InheritedIgnoredSigint()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return false;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
               && ulong.TryParse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, null, out var mask)
               && (mask & (1UL << (RawSigint - 1))) != 0;
    }

    // The runtime keeps its SIGINT handlers in PosixSignalRegistration.s_registrations (Dictionary<int, List<Token>>, .NET 10).
    static int RemoveHostShutdownHandlers()
    {
        try
        {
            var field = typeof(PosixSignalRegistration).GetField("s_registrations", BindingFlags.NonPublic | BindingFlags.Static);
            if (field?.GetValue(null) is not IDictionary registrations) return 0;
            lock (registrations)
            {
                if (!registrations.Contains(RawSigint) || registrations[RawSigint] is not IList tokens) return 0;
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

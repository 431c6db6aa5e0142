using System.Reflection;

namespace ClassifierKit.Display;

/// <summary>
/// Late-bound access to .NET Interactive's display API (Kernel.display / DisplayedValue.Update), so the same
/// library code shows an updating element in a notebook and plain lines on a console, with no kernel dependency.
/// </summary>
public static class NotebookDisplay
{
    static readonly MethodInfo? DisplayMethod = FindDisplayMethod();

    /// <summary>True when running inside a .NET Interactive kernel.</summary>
    public static bool IsAvailable => DisplayMethod != null;

    /// <summary>Shows <paramref name="value"/> as a new output and returns a handle that can replace it, or null outside a notebook.</summary>
    public static DisplayHandle? Show(object value)
    {
        if (DisplayMethod == null) return null;
        try
        {
            var displayed = DisplayMethod.Invoke(null, [value, Array.Empty<string>()]);
            return displayed == null ? null : new DisplayHandle(displayed);
        }
        catch (TargetInvocationException)
        {
            return null; // no current cell (e.g. called from a background thread)
        }
    }

    static MethodInfo? FindDisplayMethod()
    {
        var kernel = AppDomain.CurrentDomain.GetAssemblies()
            .FirstOrDefault(a => a.GetName().Name == "Microsoft.DotNet.Interactive")
            ?.GetType("Microsoft.DotNet.Interactive.Kernel");
        return kernel?.GetMethods(BindingFlags.Public | BindingFlags.Static)
            .FirstOrDefault(m => m.Name == "display" && m.GetParameters() is [{ ParameterType: var t }, { ParameterType: var s }]
                                 && t == typeof(object) && s == typeof(string[]));
    }
}

/// <summary>A displayed notebook output that can be replaced in place.</summary>
public sealed class DisplayHandle
{
    readonly object _displayed;
    readonly MethodInfo? _update;

    internal DisplayHandle(object displayed)
    {
        _displayed = displayed;
        _update = displayed.GetType().GetMethod("Update", [typeof(object)]);
    }

    /// <summary>Replaces the output with <paramref name="value"/>.</summary>
    public void Update(object value)
    {
        try { _update?.Invoke(_displayed, [value]); }
        catch (TargetInvocationException) { /* the cell finished; nothing left to update */ }
    }
}

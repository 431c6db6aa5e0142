using System.Runtime.InteropServices;

namespace ClassifierKit.Platform;

/// <summary>
/// A libtorch operation failed inside the library. The message says what the library was doing and keeps libtorch's own
/// first lines (e.g. "mat1 and mat2 shapes cannot be multiplied (4x400 and 300x120)"), without the C++ frame list that
/// libtorch appends; <see cref="NativeMessage"/> holds libtorch's whole text.
/// </summary>
/// <remarks>
/// The libtorch exception is deliberately not kept as the inner exception: notebook kernels print an exception with its
/// inner exceptions, which would bring the 10-20 lines of C++ frames back into the cell.
/// </remarks>
public sealed class TorchOperationException : Exception
{
    /// <summary>libtorch's complete message, C++ frames included.</summary>
    public string NativeMessage { get; }

    /// <summary>Wraps <paramref name="native"/>, saying what was being done in <paramref name="context"/>.</summary>
    public TorchOperationException(string context, ExternalException native)
        : base($"{context}: {Summarize(native.Message)}")
    {
        NativeMessage = native.Message;
    }

    /// <summary>
    /// Wraps a failure of libtorch or of TorchSharp's own checks (which throw plain .NET exceptions) with what was being done
    /// and <paramref name="explanation"/>: the facts the learner needs, e.g. the shapes given and expected.
    /// </summary>
    public TorchOperationException(string context, Exception native, string explanation)
        : base($"{context}: {explanation} ({(native is ExternalException ? "libtorch" : "TorchSharp")} said: {Summarize(native.Message)})")
    {
        NativeMessage = native.Message;
    }

    /// <summary>Whether <paramref name="e"/> is libtorch's or TorchSharp's own failure (not one of this library's checks).</summary>
    public static bool IsTorchFailure(Exception e) =>
        e is ExternalException || (e is ArgumentException && e.Source == typeof(TorchSharp.torch).Assembly.GetName().Name);

    /// <summary>libtorch's message up to the line where it starts listing where the error was raised.</summary>
    public static string Summarize(string nativeMessage)
    {
        var lines = nativeMessage.Split('\n')
            .Select(l => l.TrimEnd())
            .TakeWhile(l => !l.StartsWith("Exception raised from", StringComparison.Ordinal) && !l.StartsWith("frame #", StringComparison.Ordinal))
            .Where(l => l.Length > 0)
            .ToList();
        return lines.Count > 0 ? string.Join(" ", lines) : nativeMessage.Split('\n')[0];
    }

    /// <summary>Runs <paramref name="action"/>, turning a libtorch failure into a <see cref="TorchOperationException"/> that names <paramref name="context"/>.</summary>
    public static T Guard<T>(string context, Func<T> action)
    {
        try { return action(); }
        catch (ExternalException e) { throw new TorchOperationException(context, e); }
    }
}

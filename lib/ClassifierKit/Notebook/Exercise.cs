using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Notebook;

/// <summary>
/// What a stub throws until the learner writes its body: <c>=&gt; throw new Todo("count where ... ")</c>. The message is
/// the hint the check prints.
/// </summary>
public sealed class Todo(string hint) : NotImplementedException(hint);

/// <summary>What a check found wrong in a learner's answer: what differs, said so the learner can act on it.</summary>
public sealed class CheckFailed(string message) : Exception(message);

/// <summary>The verdict of one check cell.</summary>
public sealed record CheckResult(string Exercise, bool Passed, string Message)
{
    /// <summary>The line the check prints: "✔ Exercise 02.1 passed: ..." or "✘ Exercise 02.1 not yet: ...".</summary>
    public override string ToString() => $"{(Passed ? "✔" : "✘")} Exercise {Exercise} {(Passed ? "passed" : "not yet")}: {Message}";
}

/// <summary>
/// The check cells of the workshop sections (nbgrader's idea, in one call): run the learner's code against a known answer
/// and print a pass, or "not yet" with what differs and a hint. A check never throws: a stub that is still a stub, a
/// wrong answer and code that fails all end as "not yet", so a learner can run every cell in order before writing any.
/// </summary>
public static class Exercise
{
    /// <summary>
    /// Runs <paramref name="check"/> (which calls the learner's code and throws <see cref="CheckFailed"/> from the
    /// <see cref="Expect"/> helpers when the answer is wrong; what it returns is printed beside the pass) and prints the verdict.
    /// </summary>
    public static CheckResult Check(string exercise, string hint, Func<string> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        CheckResult result;
        try
        {
            using var scope = NewDisposeScope();
            result = new CheckResult(exercise, true, check());
        }
        catch (Exception e)
        {
            var cause = e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner : e;
            var what = cause switch
            {
                Todo todo => $"the stub is still there ({todo.Message}).",
                CheckFailed failed => failed.Message,
                _ => $"your code threw {cause.GetType().Name}: {FirstLine(cause.Message)}",
            };
            result = new CheckResult(exercise, false, $"{what} Hint: {hint}");
        }
        Console.WriteLine(result);
        return result;
    }

    /// <summary>Check for an action that returns nothing worth printing.</summary>
    public static CheckResult Check(string exercise, string hint, Action check) =>
        Check(exercise, hint, () => { check(); return "right."; });

    /// <summary>
    /// Check for a prediction written down before running the cell that shows the answer: a null guess is "not yet";
    /// otherwise the verdict says whether the guess was right (within <paramref name="tolerance"/>, relative) and shows
    /// the measured value, with <paramref name="why"/>.
    /// </summary>
    public static CheckResult Predict(string exercise, double? guess, double actual, string why, double tolerance = 0)
    {
        if (guess is null)
            return Report(new CheckResult(exercise, false, "write your prediction in the cell above first (a number instead of null), then run this cell."));
        var right = Math.Abs(guess.Value - actual) <= tolerance * Math.Max(Math.Abs(actual), 1e-12);
        return Report(new CheckResult(exercise, true,
            $"you predicted {Number(guess.Value)}, the run gives {Number(actual)} ({(right ? "right" : "not quite")}). {why}"));
    }

    static CheckResult Report(CheckResult result)
    {
        Console.WriteLine(result);
        return result;
    }

    // Whole numbers in full (12,730 rather than 1.273E+04), others to six significant digits.
    static string Number(double value) => value == Math.Round(value) && Math.Abs(value) < 1e15
        ? value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
        : value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);

    static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}

/// <summary>Comparisons for check cells; each throws <see cref="CheckFailed"/> saying what differs.</summary>
public static class Expect
{
    /// <summary>The learner's value equals the expected one.</summary>
    public static void Equal<T>(T actual, T expected, string what)
    {
        var same = actual is System.Collections.IEnumerable a && expected is System.Collections.IEnumerable e && actual is not string
            ? a.Cast<object>().SequenceEqual(e.Cast<object>())
            : EqualityComparer<T>.Default.Equals(actual, expected);
        if (!same)
            throw new CheckFailed($"{what} is {Show(actual)}, expected {Show(expected)}.");
    }

    /// <summary>A number within an absolute <paramref name="tolerance"/> of the expected one.</summary>
    public static void Close(double actual, double expected, string what, double tolerance = 1e-5)
    {
        if (double.IsNaN(actual) || Math.Abs(actual - expected) > tolerance)
            throw new CheckFailed($"{what} is {actual:G6}, expected {expected:G6} (within {tolerance:G2}).");
    }

    /// <summary>
    /// A tensor of the expected shape whose every element is within <paramref name="tolerance"/> of the expected tensor
    /// (absolute, after both are read as float64 on the CPU).
    /// </summary>
    public static void Close(Tensor? actual, Tensor expected, string what, double tolerance = 1e-5)
    {
        if (actual is null) throw new CheckFailed($"{what} is null.");
        Shape(actual, expected.shape, what);
        using var scope = NewDisposeScope();
        var a = actual.detach().cpu().to_type(ScalarType.Float64);
        var e = expected.detach().cpu().to_type(ScalarType.Float64);
        if (a.isnan().any().item<bool>()) throw new CheckFailed($"{what} holds NaN.");
        var gap = (a - e).abs();
        var worst = gap.max().item<double>();
        if (worst > tolerance)
        {
            var at = gap.flatten().argmax().item<long>();
            throw new CheckFailed($"{what} differs from the expected values by up to {worst:G3} (element {at} of the flattened tensor: " +
                                  $"{a.flatten()[at].item<double>():G6} instead of {e.flatten()[at].item<double>():G6}).");
        }
    }

    /// <summary>A tensor of the expected shape.</summary>
    public static void Shape(Tensor actual, long[] expected, string what)
    {
        if (!actual.shape.SequenceEqual(expected))
            throw new CheckFailed($"{what} has shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected)}].");
    }

    /// <summary>A condition the answer must meet, with what it means when it does not.</summary>
    public static void That(bool condition, string whenNot)
    {
        if (!condition) throw new CheckFailed(whenNot);
    }

    static string Show<T>(T value) => value switch
    {
        null => "null",
        System.Collections.IEnumerable items and not string => "[" + string.Join(", ", items.Cast<object>()) + "]",
        _ => value.ToString() ?? "",
    };
}

namespace ClassifierKit.Notebook;

/// <summary>
/// How much work a notebook does: <c>quick</c> (small subsets, a few hundred steps: CI and smoke runs) or
/// <c>full</c> (the originals' settings). Chosen by the NOTEBOOK_PROFILE environment variable; quick by default.
/// </summary>
public sealed record Profile(string Name)
{
    /// <summary>The environment variable that picks the profile.</summary>
    public const string EnvironmentVariable = "NOTEBOOK_PROFILE";

    /// <summary>Small and fast.</summary>
    public static Profile Quick { get; } = new("quick");

    /// <summary>The originals' settings.</summary>
    public static Profile Full { get; } = new("full");

    /// <summary>True for the quick profile.</summary>
    public bool IsQuick => Name == "quick";

    /// <summary>The profile named by $NOTEBOOK_PROFILE (quick when unset).</summary>
    public static Profile FromEnvironment()
    {
        var name = Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim().ToLowerInvariant();
        return name switch
        {
            null or "" or "quick" => Quick,
            "full" => Full,
            _ => throw new ArgumentException($"{EnvironmentVariable}='{name}' is not a profile; use 'quick' or 'full'."),
        };
    }

    /// <summary>The value for this profile, e.g. <c>profile.Pick(quick: 2_000, full: 50_000)</c>.</summary>
    public T Pick<T>(T quick, T full) => IsQuick ? quick : full;

    public override string ToString() => Name;
}

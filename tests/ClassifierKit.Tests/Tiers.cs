namespace ClassifierKit.Tests;

/// <summary>
/// The test tiers, as xUnit traits named "Tier". A test without one is a unit test (seconds to a few minutes in all); the
/// others start kernels, run every notebook or open a browser. `dotnet test` runs every tier; a filter picks some:
/// <code>
/// dotnet test --filter "Tier!=notebooks&amp;Tier!=kernel&amp;Tier!=browser"   # the unit tier alone
/// dotnet test --filter "Tier=kernel"                                      # one tier
/// </code>
/// </summary>
public static class Tiers
{
    /// <summary>Every notebook executed in both frontends (quick profile), and what their outputs show.</summary>
    public const string Notebooks = "notebooks";
    /// <summary>The kernel driven through its protocols: Stop, interrupts, memory, the headless runner's reports.</summary>
    public const string Kernel = "kernel";
    /// <summary>Executed notebooks and charts opened in headless Chromium.</summary>
    public const string Browser = "browser";
}

namespace ClassifierKit.Platform;

/// <summary>
/// The one place that knows where things are: this repository's root (for notebooks, tests and the benchmark run from a
/// clone anywhere) and the dataset cache folder.
/// </summary>
public static class Locations
{
    /// <summary>Environment variable that overrides the dataset cache folder.</summary>
    public const string DataVariable = "CLASSIFIERKIT_DATA";

    /// <summary>
    /// The root of the ClassifierKit repository (the folder holding global.json and ClassifierKit.slnx) above the working
    /// directory or above this library's binary, or null when neither lies inside a checkout (e.g. a copied dll).
    /// </summary>
    public static string? RepositoryRoot =>
        new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory, Path.GetDirectoryName(typeof(Locations).Assembly.Location) }
            .Where(start => !string.IsNullOrEmpty(start))
            .SelectMany(start => Ancestors(start!))
            .FirstOrDefault(IsRepositoryRoot);

    /// <summary>The repository root, or an exception that says how to get one (for tools that only run from a checkout).</summary>
    public static string RequireRepositoryRoot() =>
        RepositoryRoot ?? throw new InvalidOperationException(
            $"No ClassifierKit checkout (a folder with global.json and ClassifierKit.slnx) above {Directory.GetCurrentDirectory()} " +
            $"or {AppContext.BaseDirectory}. Run this from inside a clone of the repository.");

    /// <summary>The dataset cache folder: $CLASSIFIERKIT_DATA when set, else the repository's data/ folder, else ~/.cache/classifierkit.</summary>
    public static string DataRoot
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable(DataVariable);
            if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(fromEnv);
            return RepositoryRoot is { } repo
                ? Path.Combine(repo, "data")
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "classifierkit");
        }
    }

    static bool IsRepositoryRoot(string dir) =>
        File.Exists(Path.Combine(dir, "global.json")) && File.Exists(Path.Combine(dir, "ClassifierKit.slnx"));

    static IEnumerable<string> Ancestors(string path)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(path)); dir != null; dir = dir.Parent)
            yield return dir.FullName;
    }
}

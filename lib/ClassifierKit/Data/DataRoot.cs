namespace ClassifierKit.Data;

/// <summary>Where datasets are cached: $CLASSIFIERKIT_DATA, else the repo's data/ folder, else ~/.cache/classifierkit.</summary>
public static class DataRoot
{
    /// <summary>Environment variable that overrides the dataset cache folder.</summary>
    public const string EnvironmentVariable = "CLASSIFIERKIT_DATA";

    /// <summary>The cache folder used when a loader is given none.</summary>
    public static string Default
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(fromEnv)) return Path.GetFullPath(fromEnv);
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
                for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                    if (File.Exists(Path.Combine(dir.FullName, "data", "README.md")) && File.Exists(Path.Combine(dir.FullName, "global.json")))
                        return Path.Combine(dir.FullName, "data");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "classifierkit");
        }
    }
}

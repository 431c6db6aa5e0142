using ClassifierKit.Data;

namespace ClassifierKit.Tests.Data;

/// <summary>
/// Tests that read or set the dataset environment variables, which are process-wide: they run alone, after the
/// parallel tests, each starting with the variables cleared and restoring them afterwards.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Dataset environment variables";
}

/// <summary>Clears the loaders' environment variables for one test and restores them afterwards.</summary>
public abstract class ClearedEnvironment : IDisposable
{
    static readonly string[] Variables = [Cifar10.SourceVariable, Cifar10.UrlVariable, FashionMnist.SourceVariable, FashionMnist.UrlVariable];
    readonly Dictionary<string, string?> saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);

    protected ClearedEnvironment()
    {
        foreach (var v in Variables) Environment.SetEnvironmentVariable(v, null);
    }

    public virtual void Dispose()
    {
        foreach (var (v, value) in saved) Environment.SetEnvironmentVariable(v, value);
    }
}

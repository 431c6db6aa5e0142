namespace ClassifierKit.Tests;

/// <summary>
/// torch.manual_seed, Seed.Everything and the process-wide switches (oneDNN, autocast, the allocator) are global state, and
/// xUnit runs test classes in parallel: every test that seeds, draws random numbers or trains joins this one collection, which
/// runs one test at a time after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRng
{
    public const string Name = "Global RNG and process switches";
}

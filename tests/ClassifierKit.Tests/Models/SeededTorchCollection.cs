namespace ClassifierKit.Tests.Models;

/// <summary>
/// torch.manual_seed sets one process-wide generator, and xUnit runs test classes in parallel, so every test that
/// seeds and then draws random numbers joins this collection to run one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SeededTorchCollection
{
    public const string Name = "Seeded torch";
}

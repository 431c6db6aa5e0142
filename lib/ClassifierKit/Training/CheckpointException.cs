namespace ClassifierKit.Training;

/// <summary>A checkpoint could not be read or does not fit the model; nothing in memory was changed.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>The checkpoint file.</summary>
    public string Path { get; }
    /// <summary>Model keys the checkpoint lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }
    /// <summary>Checkpoint keys the model lacks.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }
    /// <summary>Keys present in both with a different shape or dtype, described as "key: checkpoint [..] vs model [..]".</summary>
    public IReadOnlyList<string> Mismatched { get; }

    /// <summary>Creates the exception; the message always names the file.</summary>
    public CheckpointException(string path, string message, IReadOnlyList<string>? missing = null, IReadOnlyList<string>? unexpected = null,
        IReadOnlyList<string>? mismatched = null, Exception? inner = null)
        : base($"Checkpoint '{path}': {message}", inner)
    {
        Path = path;
        MissingKeys = missing ?? Array.Empty<string>();
        UnexpectedKeys = unexpected ?? Array.Empty<string>();
        Mismatched = mismatched ?? Array.Empty<string>();
    }
}

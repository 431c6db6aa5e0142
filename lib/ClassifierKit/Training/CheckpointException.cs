namespace ClassifierKit.Training;

/// <summary>A checkpoint file could not be written or read; nothing in memory was changed, and no earlier checkpoint was lost.
/// (Weights that do not fit the model raise <see cref="Models.StateDictMismatchException"/>.)</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>The checkpoint file.</summary>
    public string Path { get; }

    /// <summary>Creates the exception; the message always names the file.</summary>
    public CheckpointException(string path, string message, Exception? inner = null)
        : base($"Checkpoint '{path}': {message}", inner)
    {
        Path = path;
    }
}

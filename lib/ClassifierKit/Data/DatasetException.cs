namespace ClassifierKit.Data;

/// <summary>A dataset is missing, incomplete or corrupt; the message names the file, the problem and the fix.</summary>
public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);

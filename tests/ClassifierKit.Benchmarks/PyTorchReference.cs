namespace ClassifierKit.Benchmarks;

/// <summary>
/// PyTorch's images/s for the same rows, measured twice on this project's benchmark machine type with 2 threads.
/// The "vs PyTorch" column divides our median by the mean of the two runs; it only means something on that machine type.
/// </summary>
public static class PyTorchReference
{
    static readonly Dictionary<string, double[]> Runs = new()
    {
        ["net4"] = [4244, 3784],
        ["net128"] = [7003, 6867],
        ["neteval1000"] = [15463, 14706],
        ["resnet5"] = [45.4, 43.6],
        ["resnet128"] = [43.5, 44.7],
        ["resneteval500"] = [121, 123],
    };

    /// <summary>Mean images/s of the reference runs for row <paramref name="id"/>, or null when there is none.</summary>
    public static double? ImagesPerSecond(string id) => Runs.TryGetValue(id, out var r) ? r.Average() : null;
}

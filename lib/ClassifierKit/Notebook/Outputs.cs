namespace ClassifierKit.Notebook;

/// <summary>Where notebooks write what they produce (saved models, pictures): an output/ folder next to them, never committed.</summary>
public static class Outputs
{
    /// <summary>The path of <paramref name="fileName"/> in ./output/, creating the folder if needed.</summary>
    public static string File(string fileName)
    {
        var dir = Path.Combine(Directory.GetCurrentDirectory(), "output");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, fileName);
    }
}

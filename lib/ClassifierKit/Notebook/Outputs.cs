using TorchSharp;

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

    /// <summary>Keeps <paramref name="module"/>'s weights in ./output/<paramref name="fileName"/> (TorchSharp's format), for a later cell or sitting.</summary>
    public static void SaveWeights(torch.nn.Module module, string fileName)
    {
        ArgumentNullException.ThrowIfNull(module);
        module.save(File(fileName));
    }

    /// <summary>
    /// Reads weights that <see cref="SaveWeights"/> kept into <paramref name="module"/> (built as the one that was saved) and
    /// returns it; when they are not on this machine, says why and what to do instead of failing in the file reader.
    /// </summary>
    public static T LoadWeights<T>(T module, string fileName) where T : torch.nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        var path = File(fileName);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException(
                $"No weights at {path}: the run that keeps them has not finished in this folder. Run its training cell first; a sweep " +
                "continued with NOTEBOOK_RESUME=1 keeps the numbers of its earlier sittings in notebooks/results/ but their weights only " +
                "in notebooks/output/ of the machine that trained them: copy that folder here, or train the run again.", path);
        module.load(path);
        return module;
    }
}

using System.Text.RegularExpressions;
using ClassifierKit.Platform;

namespace ClassifierKit.Tests;

/// <summary>
/// The library's folders are layers that point one way: Platform at the bottom; Data and Models on it; Training above them;
/// Recipes above Training; Display and then Notebook on top. A file may use its own folder and the folders below it, never one
/// above (the notebook layer proper, ClassifierKit.Interactive, is a separate assembly on top of all of them).
/// </summary>
public class LayerTests
{
    static readonly Dictionary<string, string[]> MayUse = new()
    {
        ["Platform"] = [],
        ["Data"] = ["Platform"],
        ["Models"] = ["Platform"],
        ["Training"] = ["Platform", "Data", "Models"],
        ["Recipes"] = ["Platform", "Data", "Models", "Training"],
        ["Display"] = ["Platform", "Data", "Models", "Training", "Recipes"],
        ["Notebook"] = ["Platform", "Data", "Models", "Training", "Recipes", "Display"],
    };

    static readonly Regex Reference = new(@"(?:ClassifierKit\.|(?<![\w.]))(Platform|Data|Models|Training|Recipes|Display|Notebook)\.(?=[A-Z])");

    static string Code(string line)
    {
        var comment = line.IndexOf("//", StringComparison.Ordinal);
        var code = comment >= 0 ? line[..comment] : line;
        return Regex.Replace(code, "\"(?:[^\"\\\\]|\\\\.)*\"", "\"\""); // no string contents
    }

    [Fact]
    public void Every_folder_uses_only_the_layers_below_it()
    {
        var lib = Path.Combine(Locations.RequireRepositoryRoot(), "lib", "ClassifierKit");
        var violations = new List<string>();
        foreach (var folder in MayUse.Keys)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(lib, folder), "*.cs", SearchOption.AllDirectories))
                foreach (var (line, number) in File.ReadLines(file).Select((l, i) => (l, i + 1)))
                    foreach (Match m in Reference.Matches(Code(line)))
                    {
                        var used = m.Groups[1].Value;
                        if (used != folder && !MayUse[folder].Contains(used))
                            violations.Add($"{Path.GetRelativePath(lib, file)}:{number} ({folder} uses {used}): {line.Trim()}");
                    }
        Assert.True(violations.Count == 0, "references that point up the layers:\n" + string.Join("\n", violations));
        Assert.Equal(MayUse.Keys.Order(), Directory.GetDirectories(lib).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj")).Order());
    }
}

using System.Reflection;
using ClassifierKit.Platform;
using NetArchTest.Rules;

namespace ClassifierKit.Tests;

/// <summary>
/// The library's folders are layers that point one way: Platform at the bottom; Data and Models on it; Training above them;
/// Recipes above Training; Display and then Notebook on top. A type may use its own layer and the layers below it, never one
/// above (the notebook layer proper, ClassifierKit.Interactive, is a separate assembly on top of all of them). The rules read
/// the compiled assembly (NetArchTest), so every reference counts, whether it came from a using directive, a full name or
/// a static import; an unused using directive compiles to nothing and does not.
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

    static readonly Assembly Library = typeof(Devices).Assembly;

    static string Namespace(string layer) => "ClassifierKit." + layer;

    [Fact]
    public void Every_layer_uses_only_the_layers_below_it()
    {
        var violations = new List<string>();
        foreach (var (layer, below) in MayUse)
        {
            var above = MayUse.Keys.Where(l => l != layer && !below.Contains(l)).Select(Namespace).ToArray();
            var result = Types.InAssembly(Library).That().ResideInNamespace(Namespace(layer))
                .ShouldNot().HaveDependencyOnAny(above).GetResult();
            if (!result.IsSuccessful)
                violations.AddRange(result.FailingTypeNames.Select(t => $"{t} ({layer}) uses a layer above it: one of {string.Join(", ", above)}"));
        }
        Assert.True(violations.Count == 0, "references that point up the layers:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Every_type_sits_in_a_layer_and_every_layer_is_a_folder()
    {
        var outside = Library.GetTypes()
            .Where(t => t.Namespace is not null && !t.Namespace.StartsWith("<", StringComparison.Ordinal) && !t.Name.StartsWith("<", StringComparison.Ordinal))
            .Where(t => !MayUse.Keys.Any(l => t.Namespace == Namespace(l) || t.Namespace!.StartsWith(Namespace(l) + ".", StringComparison.Ordinal)))
            .Where(t => t.Namespace != "System.Runtime.CompilerServices" && t.Namespace != "Microsoft.CodeAnalysis")
            .Select(t => t.FullName).ToList();
        Assert.True(outside.Count == 0, "types outside every layer: " + string.Join(", ", outside));
        var lib = Path.Combine(Locations.RequireRepositoryRoot(), "lib", "ClassifierKit");
        Assert.Equal(MayUse.Keys.Order(), Directory.GetDirectories(lib).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj")).Order());
    }

    // The rules can fail: they see the dependencies that are there (the old text scan missed every using directive).
    [Theory]
    [InlineData("Training", "Data")]
    [InlineData("Training", "Platform")]
    [InlineData("Recipes", "Training")]
    [InlineData("Notebook", "Display")]
    public void The_rules_see_the_real_dependencies(string layer, string uses)
    {
        var result = Types.InAssembly(Library).That().ResideInNamespace(Namespace(layer))
            .ShouldNot().HaveDependencyOn(Namespace(uses)).GetResult();
        Assert.False(result.IsSuccessful, $"no type in {layer} was seen to use {uses}, which it does");
    }
}

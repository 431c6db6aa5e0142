using System.Text;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ClassifierKit.Models;

/// <summary>What <see cref="StateDicts.LoadStateDictChecked"/> did: the keys it copied and the checkpoint keys it deliberately ignored.</summary>
public sealed record StateDictLoadResult(IReadOnlyList<string> Loaded, IReadOnlyList<string> Ignored)
{
    /// <summary>One line for a notebook, e.g. "loaded 122 tensors; ignored 18 keys: conv0.0.conv.weight, ...".</summary>
    public override string ToString() =>
        Ignored.Count == 0
            ? $"loaded {Loaded.Count} tensors; ignored nothing"
            : $"loaded {Loaded.Count} tensors; ignored {Ignored.Count} keys: {string.Join(", ", Ignored)}";
}

/// <summary>A checkpoint does not fit a model; the lists name every offending key. The model was left unchanged.</summary>
public sealed class StateDictMismatchException(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misshaped)
    : InvalidOperationException(Describe(missing, unexpected, misshaped))
{
    /// <summary>Model keys the checkpoint lacks.</summary>
    public IReadOnlyList<string> Missing { get; } = missing;

    /// <summary>Checkpoint keys the model lacks (and that were not allowed to be ignored).</summary>
    public IReadOnlyList<string> Unexpected { get; } = unexpected;

    /// <summary>Keys present on both sides with different shapes, as "key: model [..] vs checkpoint [..]".</summary>
    public IReadOnlyList<string> Misshaped { get; } = misshaped;

    private static string Describe(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misshaped)
    {
        var sb = new StringBuilder("The state dict does not fit the model; nothing was loaded.");
        if (missing.Count > 0) sb.Append(" Missing keys: ").AppendJoin(", ", missing).Append('.');
        if (unexpected.Count > 0) sb.Append(" Unexpected keys: ").AppendJoin(", ", unexpected).Append('.');
        if (misshaped.Count > 0) sb.Append(" Wrong shapes: ").AppendJoin("; ", misshaped).Append('.');
        return sb.ToString();
    }
}

/// <summary>State-dict helpers: all-or-nothing loading, PyTorch key order, reading TorchSharp checkpoint files.</summary>
public static class StateDicts
{
    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="module"/> only if every model key is present with the same shape and
    /// every other key satisfies <paramref name="ignore"/>; otherwise throws <see cref="StateDictMismatchException"/> and changes nothing.
    /// </summary>
    public static StateDictLoadResult LoadStateDictChecked(this Module module, Dictionary<string, Tensor> source, Func<string, bool>? ignore = null)
    {
        // TorchSharp's load_state_dict copies as it goes and lets copy_ broadcast a wrong shape, so we check everything first.
        var target = module.state_dict();
        var (missing, extra, different) = Compare(target, source, (t, s) => s.shape.SequenceEqual(t.shape));
        var ignored = ignore is null ? [] : extra.Where(ignore).ToList();
        var unexpected = extra.Except(ignored).ToList();
        var misshaped = different
            .Select(k => $"{k}: model [{string.Join(", ", target[k].shape)}] vs checkpoint [{string.Join(", ", source[k].shape)}]")
            .ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || misshaped.Count > 0)
            throw new StateDictMismatchException(missing, unexpected, misshaped);

        module.load_state_dict(source, strict: true, skip: ignored);
        return new StateDictLoadResult(target.Keys.ToList(), ignored);
    }

    /// <summary>
    /// Compares a model's state with a stored one: keys the model has and the source lacks, keys only the source has,
    /// and shared keys whose entries differ by <paramref name="same"/> (shape, dtype). Used before anything is copied.
    /// </summary>
    public static (List<string> Missing, List<string> Extra, List<string> Different) Compare<TModel, TSource>(
        IReadOnlyDictionary<string, TModel> model, IReadOnlyDictionary<string, TSource> source, Func<TModel, TSource, bool> same) =>
        (model.Keys.Where(k => !source.ContainsKey(k)).ToList(),
         source.Keys.Where(k => !model.ContainsKey(k)).ToList(),
         model.Where(kv => source.TryGetValue(kv.Key, out var s) && !same(kv.Value, s)).Select(kv => kv.Key).ToList());

    /// <summary>State-dict keys in the order PyTorch's state_dict() lists them: each module's parameters, then its buffers, then its children.</summary>
    /// <remarks>TorchSharp's own state_dict() lists every parameter of the whole tree before any buffer, so its order differs.</remarks>
    public static List<string> PyTorchOrderedKeys(this Module module)
    {
        var keys = new List<string>();
        Collect(module, "", keys);
        return keys;

        static void Collect(Module m, string prefix, List<string> keys)
        {
            foreach (var (name, _) in m.named_parameters(recurse: false)) keys.Add(prefix + name);
            foreach (var (name, _) in m.named_buffers(recurse: false, include_nonpersistent: false)) keys.Add(prefix + name);
            foreach (var (name, child) in m.named_children()) Collect(child, prefix + name + ".", keys);
        }
    }

    /// <summary>Reads a whole checkpoint in TorchSharp's format (what Module.save writes) into new CPU tensors the caller owns.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} does not exist; check the path of the saved weights.", path);
        var result = new Dictionary<string, Tensor>();
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            var count = ReadVarLong(reader);
            for (var i = 0; i < count; i++)
            {
                var key = reader.ReadString();
                result.Add(key, TensorExtensionMethods.Load(reader));
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or InvalidDataException or FormatException)
        {
            foreach (var t in result.Values) t.Dispose();
            throw new InvalidDataException(
                $"{path} is not a complete TorchSharp state dict ({e.Message}; read {result.Count} tensors before the failure). " +
                "It may be truncated or in another format: PyTorch .pt/.pth files must be converted with TorchSharp's exportsd.py (see the README).", e);
        }
        return result;
    }

    // TorchSharp writes counts as little-endian base-128 varints (7 bits per byte, high bit = more follows).
    private static long ReadVarLong(BinaryReader reader)
    {
        long value = 0;
        for (var shift = 0; ; shift += 7)
        {
            long b = reader.ReadByte();
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
    }
}

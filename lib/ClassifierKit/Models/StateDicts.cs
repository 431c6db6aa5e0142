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

/// <summary>
/// Stored weights (a state dict, or a training checkpoint) do not fit a model; the lists name every offending key, and the
/// model was left unchanged. <see cref="StateDicts"/> and <see cref="Training.Checkpoint"/> both throw it, with one message format.
/// </summary>
public sealed class StateDictMismatchException(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched,
    string? source = null)
    : InvalidOperationException(Describe(missing, unexpected, mismatched, source))
{
    /// <summary>Model keys the stored weights lack.</summary>
    public IReadOnlyList<string> Missing { get; } = missing;

    /// <summary>Stored keys the model lacks (and that were not allowed to be ignored).</summary>
    public IReadOnlyList<string> Unexpected { get; } = unexpected;

    /// <summary>Keys present on both sides with a different shape or element type, as "key: model Float32 [..] vs stored Float32 [..]".</summary>
    public IReadOnlyList<string> Mismatched { get; } = mismatched;

    /// <summary>The file the weights came from, when they came from one.</summary>
    public string? SourcePath { get; } = source;

    /// <summary>One entry of <see cref="Mismatched"/>.</summary>
    public static string DescribeEntry(string key, string modelType, IEnumerable<long> modelShape, string storedType, IEnumerable<long> storedShape) =>
        $"{key}: model {modelType} [{string.Join(", ", modelShape)}] vs stored {storedType} [{string.Join(", ", storedShape)}]";

    private static string Describe(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched, string? source)
    {
        var sb = new StringBuilder(source is null ? "The stored weights do not fit the model; nothing was loaded." : $"'{source}' does not fit the model; nothing was loaded.");
        if (missing.Count > 0) sb.Append(" Missing keys: ").AppendJoin(", ", missing).Append('.');
        if (unexpected.Count > 0) sb.Append(" Unexpected keys: ").AppendJoin(", ", unexpected).Append('.');
        if (mismatched.Count > 0) sb.Append(" Wrong shapes or types: ").AppendJoin("; ", mismatched).Append('.');
        sb.Append(" Build the same architecture (and options) the weights were saved from.");
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
    public static StateDictLoadResult LoadStateDictChecked(this Module module, Dictionary<string, Tensor> source, Func<string, bool>? ignore = null,
        string? sourcePath = null)
    {
        // TorchSharp's load_state_dict copies as it goes and lets copy_ broadcast a wrong shape, so we check everything first.
        var target = module.state_dict();
        var (missing, extra, different) = Compare(target, source, (t, s) => s.shape.SequenceEqual(t.shape) && s.dtype == t.dtype);
        var ignored = ignore is null ? [] : extra.Where(ignore).ToList();
        var unexpected = extra.Except(ignored).ToList();
        var mismatched = different
            .Select(k => StateDictMismatchException.DescribeEntry(k, target[k].dtype.ToString(), target[k].shape, source[k].dtype.ToString(), source[k].shape))
            .ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0)
            throw new StateDictMismatchException(missing, unexpected, mismatched, sourcePath);

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
        const string convert = "PyTorch .pt/.pth files must be converted with TorchSharp's exportsd.py first (see the README, \"Bringing a PyTorch model over\").";
        if (PyTorchFormat(path) is { } format)
            throw new InvalidDataException($"{path} is a PyTorch {format} file, not a TorchSharp state dict. {convert}");
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
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or InvalidDataException or FormatException
                                       or System.Runtime.InteropServices.ExternalException or OverflowException)
        {
            foreach (var t in result.Values) t.Dispose();
            var why = e is System.Runtime.InteropServices.ExternalException ? Platform.TorchOperationException.Summarize(e.Message) : e.Message;
            throw new InvalidDataException(
                $"{path} is not a complete TorchSharp state dict ({why}; read {result.Count} tensors before the failure). " +
                $"It may be truncated or in another format. {convert}");
        }
        return result;
    }

    // torch.save writes a zip archive (PyTorch 1.6+) or, in the legacy format, a pickle stream.
    private static string? PyTorchFormat(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var f = File.OpenRead(path);
        int n = f.Read(head);
        if (n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) return "zip (torch.save)";
        // Legacy torch.save starts with pickle protocol 2 and the long 0x1950a86a20f9469cfc6c (its magic number): 80 02 8a 0a.
        if (n >= 4 && head[0] == 0x80 && head[1] == 0x02 && head[2] == 0x8a && head[3] == 0x0a) return "pickle (legacy torch.save)";
        return null;
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

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ClassifierKit.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>What a checkpoint says about the run it was taken from.</summary>
public sealed record CheckpointInfo(string Path, int EpochsCompleted, long GlobalStep, DateTime SavedAtUtc);

/// <summary>
/// Saves and restores a whole run: model, optimizer, scheduler step, epoch, step, history, torch's RNG and the loader's
/// (and its augmentation's) generators, so a resumed run repeats an uninterrupted one bit for bit on the CPU.
/// Checkpoints are taken between epochs.
/// </summary>
/// <remarks>
/// Format, one file: ASCII "CKITCKPT", int32 version, int32 n, n bytes of UTF-8 JSON metadata (run state, history and a table of
/// tensors: name, dtype, shape, byte length), then each tensor's raw little-endian bytes in table order, then the optimizer's own
/// TorchSharp state_dict bytes, then a 32-byte SHA-256 of everything before it. Written to a temp file and renamed over the old one.
/// </remarks>
public static class Checkpoint
{
    const string Magic = "CKITCKPT";
    const int Version = 1;
    static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    sealed record TensorEntry(string Name, string DType, long[] Shape, long Bytes);

    sealed record Metadata(int Version, int EpochsCompleted, long GlobalStep, long? SchedulerStep, string OptimizerType,
        long OptimizerBytes, DateTime SavedAtUtc, List<StepRecord> Steps, List<EpochRecord> Epochs, List<TensorEntry> Tensors);

    /// <summary>
    /// Writes the trainer's state (and the train loader's generators, if given) to <paramref name="path"/> atomically: a failure
    /// throws <see cref="CheckpointException"/> naming the path and leaves an existing checkpoint there as it was.
    /// </summary>
    public static void Save(string path, Trainer trainer, BatchLoader? trainLoader = null)
    {
        path = FullPath(path);
        EnsureWritable(path);
        using var scope = NewDisposeScope();
        var tensors = new List<(string Name, Tensor Cpu)>();
        foreach (var (key, t) in trainer.Model.state_dict())
            tensors.Add(("model/" + key, t.detach().cpu().contiguous()));
        tensors.Add(("rng/torch", torch.get_rng_state()));
        if (trainLoader is not null)
        {
            tensors.Add(("rng/loader", trainLoader.Generator.get_state()));
            if (trainLoader.Augmentation is not null) tensors.Add(("rng/augmentation", trainLoader.Augmentation.Generator.get_state()));
            if (trainLoader.Augmentation is { AlternateFlips: true } alternating) tensors.Add(("rng/flip-seed", tensor(new[] { alternating.FlipSeed })));
        }
        var optimizerBytes = OptimizerState(trainer.Optimizer, path);

        var meta = new Metadata(Version, trainer.EpochsCompleted, trainer.GlobalStep, trainer.Scheduler?.Step,
            trainer.Optimizer.GetType().FullName!, optimizerBytes.Length, DateTime.UtcNow,
            trainer.History.StepRecords, trainer.History.EpochRecords,
            tensors.Select(t => new TensorEntry(t.Name, t.Cpu.dtype.ToString(), t.Cpu.shape, t.Cpu.NumberOfElements * t.Cpu.ElementSize)).ToList());

        var dir = System.IO.Path.GetDirectoryName(path)!;
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                void Write(ReadOnlySpan<byte> bytes)
                {
                    file.Write(bytes);
                    hash.AppendData(bytes);
                }
                var json = JsonSerializer.SerializeToUtf8Bytes(meta, Json);
                Write(Encoding.ASCII.GetBytes(Magic));
                Write(BitConverter.GetBytes(Version));
                Write(BitConverter.GetBytes(json.Length));
                Write(json);
                foreach (var (_, t) in tensors) Write(t.bytes);
                Write(optimizerBytes);
                file.Write(hash.GetHashAndReset());
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, $"could not be written ({e.Message}); an earlier checkpoint at this path, if any, is unchanged. " +
                                                "Free some disk space or choose a writable folder for CheckpointPath.", inner: e);
        }
        finally
        {
            try { if (File.Exists(temp)) File.Delete(temp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* nothing more we can do */ }
        }
    }

    /// <summary>
    /// Checks that a checkpoint can be written to <paramref name="path"/> (creating its folder), so a run finds out before it
    /// trains rather than after its first epoch; throws <see cref="CheckpointException"/> naming the path and the fix.
    /// </summary>
    public static void EnsureWritable(string path)
    {
        path = FullPath(path);
        if (Directory.Exists(path))
            throw new CheckpointException(path, "is a folder; give CheckpointPath a file name inside it, e.g. model.ckpt.");
        var dir = System.IO.Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(dir);
            var probe = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.probe");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, $"cannot be written: its folder {dir} cannot be created or written to ({e.Message}). " +
                                                "Choose a folder you can write to for CheckpointPath.", inner: e);
        }
    }

    static string FullPath(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("a checkpoint path must name a file.", nameof(path));
        try { return System.IO.Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CheckpointException(path, $"is not a valid file path ({e.Message}).", inner: e);
        }
    }

    /// <summary>Reads only the run facts of a checkpoint (after verifying its checksum).</summary>
    public static CheckpointInfo ReadInfo(string path)
    {
        path = FullPath(path);
        using var file = OpenVerified(path, out var meta, out _);
        return new CheckpointInfo(path, meta.EpochsCompleted, meta.GlobalStep, meta.SavedAtUtc);
    }

    /// <summary>
    /// Restores the trainer (and the loader's generators, if given) from <paramref name="path"/>. Everything is validated first:
    /// a corrupt file or a model whose keys or shapes differ throws <see cref="CheckpointException"/> and leaves the model unchanged.
    /// </summary>
    public static CheckpointInfo Load(string path, Trainer trainer, BatchLoader? trainLoader = null)
    {
        path = FullPath(path);
        using var scope = NewDisposeScope();
        using var file = OpenVerified(path, out var meta, out var payloadStart);

        var target = trainer.Model.state_dict();
        var stored = meta.Tensors.Where(t => t.Name.StartsWith("model/")).ToDictionary(t => t.Name["model/".Length..]);
        var (missing, unexpected, different) = Models.StateDicts.Compare(target, stored,
            (t, s) => s.Shape.SequenceEqual(t.shape) && s.DType == t.dtype.ToString());
        var mismatched = different
            .Select(k => Models.StateDictMismatchException.DescribeEntry(k, target[k].dtype.ToString(), target[k].shape, stored[k].DType, stored[k].Shape))
            .ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
            throw new Models.StateDictMismatchException(missing, unexpected, mismatched, path);
        if (meta.OptimizerType != trainer.Optimizer.GetType().FullName)
            throw new CheckpointException(path, $"was saved with optimizer {meta.OptimizerType} but the trainer uses {trainer.Optimizer.GetType().FullName} (model left unchanged)");

        file.Position = payloadStart;
        var loaded = new Dictionary<string, Tensor>();
        foreach (var entry in meta.Tensors)
        {
            var buffer = new byte[entry.Bytes];
            file.ReadExactly(buffer);
            var t = empty(entry.Shape, Enum.Parse<ScalarType>(entry.DType));
            t.bytes = buffer;
            loaded[entry.Name] = t;
        }
        var optimizerBytes = new byte[meta.OptimizerBytes];
        file.ReadExactly(optimizerBytes);

        // The optimizer is the only step that can still fail, so it goes first and is rolled back on failure.
        var before = OptimizerState(trainer.Optimizer, path);
        try
        {
            LoadOptimizer(trainer.Optimizer, optimizerBytes);
        }
        catch (Exception e)
        {
            LoadOptimizer(trainer.Optimizer, before);
            throw new CheckpointException(path, "optimizer state does not fit this optimizer (model left unchanged)", inner: e);
        }

        using (no_grad())
            foreach (var (key, t) in target)
                t.copy_(loaded["model/" + key]);
        torch.set_rng_state(loaded["rng/torch"]);
        if (trainLoader is not null)
        {
            if (loaded.TryGetValue("rng/loader", out var g)) trainLoader.Generator.set_state(g);
            if (trainLoader.Augmentation is not null && loaded.TryGetValue("rng/augmentation", out var a)) trainLoader.Augmentation.Generator.set_state(a);
            if (trainLoader.Augmentation is { AlternateFlips: true } alternating && loaded.TryGetValue("rng/flip-seed", out var f)) alternating.RestoreFlipSeed(f.item<long>());
        }
        trainer.RestoreFrom(meta.EpochsCompleted, meta.GlobalStep, new TrainingHistory { StepRecords = meta.Steps, EpochRecords = meta.Epochs });
        if (trainer.Scheduler is not null && meta.SchedulerStep is { } step) trainer.Scheduler.SetStep(step);
        return new CheckpointInfo(path, meta.EpochsCompleted, meta.GlobalStep, meta.SavedAtUtc);
    }

    static FileStream OpenVerified(string path, out Metadata meta, out long payloadStart)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "file not found");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        try
        {
            long length = file.Length;
            // The header first: a file of another kind (Module.save, a PyTorch .pth) deserves that answer, not "checksum mismatch".
            var head = new byte[Magic.Length];
            if (file.Read(head, 0, head.Length) < head.Length || Encoding.ASCII.GetString(head) != Magic)
                throw new CheckpointException(path,
                    "is not a ClassifierKit checkpoint (it lacks the CKITCKPT header). Model weights saved with Module.save load with " +
                    "model.load(path) or StateDicts.Read; PyTorch .pt/.pth files need TorchSharp's exportsd.py first.");
            if (length < Magic.Length + 8 + 32) throw new CheckpointException(path, $"is truncated ({length} bytes); nothing was loaded");
            file.Position = 0;
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 20];
                long left = length - 32;
                while (left > 0)
                {
                    int n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                    hash.AppendData(buffer, 0, n);
                    left -= n;
                }
                var expected = new byte[32];
                file.ReadExactly(expected);
                if (!hash.GetHashAndReset().AsSpan().SequenceEqual(expected))
                    throw new CheckpointException(path, "is corrupt or truncated (checksum mismatch); nothing was loaded");
            }
            file.Position = Magic.Length;
            var reader = new BinaryReader(file, Encoding.UTF8, leaveOpen: true);
            int version = reader.ReadInt32();
            if (version != Version) throw new CheckpointException(path, $"has format version {version}, this library reads {Version}");
            int jsonLength = reader.ReadInt32();
            meta = JsonSerializer.Deserialize<Metadata>(reader.ReadBytes(jsonLength), Json)
                   ?? throw new CheckpointException(path, "has empty metadata");
            payloadStart = file.Position;
            return file;
        }
        catch (CheckpointException)
        {
            file.Dispose();
            throw;
        }
        catch (Exception e)
        {
            file.Dispose();
            throw new CheckpointException(path, "could not be read: " + e.Message, inner: e);
        }
    }

    static byte[] OptimizerState(optim.Optimizer optimizer, string path)
    {
        if (optimizer is not TorchSharp.Modules.OptimizerHelper helper)
            throw new CheckpointException(path, $"optimizer {optimizer.GetType().Name} cannot save its state");
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true)) helper.save_state_dict(writer);
        return stream.ToArray();
    }

    static void LoadOptimizer(optim.Optimizer optimizer, byte[] bytes)
    {
        // The optimizer's new state tensors must outlive every dispose scope open around this call (ours or the caller's).
        using var scope = NewDisposeScope();
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes));
            ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
        }
        finally
        {
            scope.Detach(scope.DisposablesView.ToArray());
        }
    }
}

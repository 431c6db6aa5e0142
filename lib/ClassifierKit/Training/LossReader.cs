using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>
/// Reads each mini-batch's loss and correct count into the trainer's totals, writes one <see cref="StepRecord"/> per optimizer
/// step, and is the NaN guard. Every mini-batch is tagged with the optimizer step it belongs to, so a rollback to the last
/// committed step drops exactly the work that was not committed.
/// </summary>
/// <remarks>
/// On the CPU each loss is read right away, as the blog's <c>loss.item()</c>: that costs no synchronization there and lets the
/// guard stop before a non-finite loss reaches the weights. On a GPU a read waits for the device, so losses stay on it and are
/// read in one go whenever someone needs them (a running-loss line, a progress update, the end of the epoch); a non-finite
/// loss is then caught at that point, and the error says how many steps have been applied since.
/// </remarks>
internal sealed class LossReader(Trainer trainer)
{
    sealed class Entry(int epoch, int miniBatch, long step, long size)
    {
        public int Epoch { get; } = epoch;
        public int MiniBatch { get; } = miniBatch;
        public long Step { get; } = step;
        public long Size { get; } = size;
        public Tensor? Loss, Correct;          // on the device until read
        public double Value;
        public long CorrectCount;
        public bool Read;
    }

    readonly List<Entry> _entries = new();                      // mini-batches whose step has no record yet
    readonly List<(long Step, double LearningRate)> _taken = new();  // steps taken whose record is not written yet
    double? _lastFinite;

    /// <summary>Whether each loss is read as soon as it is computed (the CPU); tests force the GPU's deferred reads.</summary>
    public bool ReadEach { get; set; } = true;

    /// <summary>Takes the mini-batch's loss and predictions (logits against labels), tagged with the step it belongs to.</summary>
    public void Add(Tensor loss, Tensor logits, Tensor labels)
    {
        var e = new Entry(trainer.Epoch, trainer.MiniBatch, trainer.GlobalStep + 1, labels.shape[0]);
        using (var scope = NewDisposeScope())
        {
            var correct = logits.argmax(1).eq(labels).sum();
            if (ReadEach)
            {
                e.Value = loss.item<float>();
                e.CorrectCount = correct.item<long>();
            }
            else
            {
                e.Loss = loss.detach().DetachFromDisposeScope();
                e.Correct = correct.DetachFromDisposeScope();
            }
        }
        _entries.Add(e);
        if (ReadEach) Take(e);
    }

    /// <summary>Step <paramref name="step"/> was taken at <paramref name="learningRate"/>; its record is written once its losses are read.</summary>
    public void StepTaken(long step, double learningRate)
    {
        _taken.Add((step, learningRate));
        WriteRecords();
    }

    /// <summary>Reads every loss still on the device (one synchronization) and writes the records of the steps they complete.</summary>
    public void Flush()
    {
        var unread = _entries.Where(e => !e.Read).ToList();
        if (unread.Count > 0)
        {
            using var scope = NewDisposeScope();
            var losses = stack(unread.Select(e => e.Loss!).ToArray()).to(ScalarType.Float64).cpu().data<double>().ToArray();
            var correct = stack(unread.Select(e => e.Correct!).ToArray()).cpu().data<long>().ToArray();
            for (int i = 0; i < unread.Count; i++)
            {
                unread[i].Value = losses[i];
                unread[i].CorrectCount = correct[i];
                Release(unread[i]);
            }
            foreach (var e in unread) Take(e);
        }
        WriteRecords();
    }

    /// <summary>Forgets the mini-batches and steps after <paramref name="committedStep"/>: a rollback to the last commit.</summary>
    public void DropAfter(long committedStep)
    {
        foreach (var e in _entries.Where(e => e.Step > committedStep)) Release(e);
        _entries.RemoveAll(e => e.Step > committedStep);
        _taken.RemoveAll(s => s.Step > committedStep);
    }

    void Take(Entry e)
    {
        if (!double.IsFinite(e.Value))
        {
            long applied = Math.Max(0, trainer.GlobalStep - e.Step + 1);
            throw new TrainingDivergedException(e.Epoch, e.MiniBatch, e.Step, e.Value, _lastFinite, trainer.Optimizer.CurrentLearningRate(), applied);
        }
        _lastFinite = e.Value;
        e.Read = true;
        trainer.AddToTotals(e.Step, e.Value, e.CorrectCount, e.Size);
    }

    void WriteRecords()
    {
        while (_taken.Count > 0)
        {
            var (step, lr) = _taken[0];
            var mine = _entries.Where(e => e.Step == step).ToList();
            if (mine.Count == 0 || mine.Any(e => !e.Read)) return;
            trainer.AddStepRecord(new StepRecord(step, mine[0].Epoch, mine.Average(e => e.Value), lr));
            _entries.RemoveAll(e => e.Step == step);
            _taken.RemoveAt(0);
        }
    }

    static void Release(Entry e)
    {
        e.Loss?.Dispose();
        e.Correct?.Dispose();
        (e.Loss, e.Correct) = (null, null);
    }
}

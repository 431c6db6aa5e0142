namespace ClassifierKit.Training.Callbacks;

/// <summary>With <see cref="TrainingOptions.CheckpointPath"/> set: checks before training that the file can be written, then saves after every epoch.</summary>
internal sealed class CheckpointEachEpoch : TrainingCallback
{
    public override void BeforeFit(Trainer t)
    {
        if (t.Options.CheckpointPath is { } path) Checkpoint.EnsureWritable(path);
    }

    public override void AfterEpoch(Trainer t)
    {
        if (t.Options.CheckpointPath is { } path) Checkpoint.Save(path, t, t.TrainLoader);
    }
}

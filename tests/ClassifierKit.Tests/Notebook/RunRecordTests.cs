using ClassifierKit.Notebook;

namespace ClassifierKit.Tests.Notebook;

public class RunRecordTests
{
    static RunRecord Recorded(params string[] keys)
    {
        var record = RunRecord.Start("04-tricks", Profile.Full);
        foreach (var key in keys) record.Add(key, 50, "%", key);
        record.WallSeconds = 3000;
        return record;
    }

    [Fact]
    public void A_continued_run_keeps_the_recorded_values_and_says_which_they_are()
    {
        var first = Recorded("baseline.accuracy", "baseline.seconds");
        var second = RunRecord.Continue(first);
        second.Add("xavier.accuracy", 60, "%", "Xavier");

        Assert.NotNull(second.KeptFromEarlierPart("baseline.accuracy"));
        Assert.NotNull(second.KeptFromEarlierPart("baseline.seconds"));
        Assert.Null(second.KeptFromEarlierPart("xavier.accuracy"));   // this sitting's
        Assert.Null(second.KeptFromEarlierPart("adam.accuracy"));     // nobody's
        Assert.Null(first.KeptFromEarlierPart("baseline.accuracy"));  // a first sitting keeps nothing
        var part = Assert.Single(second.EarlierParts!);
        Assert.Equal((first.StartedUtc, first.Commit, 3000.0, 2), (part.StartedUtc, part.Commit, part.WallSeconds, part.ValuesRecorded));
        Assert.Equal(3000, second.WallSeconds);   // the clock of the new sitting adds to it when it saves
    }

    [Fact]
    public void Each_sitting_keeps_its_own_wall_time()
    {
        var second = RunRecord.Continue(Recorded("baseline.accuracy"));
        second.Add("xavier.accuracy", 60, "%", "Xavier");
        second.WallSeconds = 5000;   // as Save writes it: 3000 before, 2000 in this sitting
        var third = RunRecord.Continue(second);

        Assert.Equal(new[] { 3000.0, 2000.0 }, third.EarlierParts!.Select(p => p.WallSeconds));
        Assert.Equal(new[] { 1, 2 }, third.EarlierParts!.Select(p => p.ValuesRecorded));
        Assert.NotNull(third.KeptFromEarlierPart("xavier.accuracy"));
    }

    [Fact]
    public void A_value_measured_again_is_no_longer_an_earlier_sittings()
    {
        var second = RunRecord.Continue(Recorded("a", "b", "c"));
        second.Add("b", 70, "%", "b again");

        Assert.Equal(new[] { "a", "c", "b" }, second.Values.Select(v => v.Key));
        Assert.Equal(70, second["b"]!.Value);
        Assert.Null(second.KeptFromEarlierPart("b"));
        Assert.NotNull(second.KeptFromEarlierPart("a"));
        Assert.NotNull(second.KeptFromEarlierPart("c"));
    }

    [Fact]
    public void Resuming_a_quick_run_is_refused_with_the_fix()
    {
        var before = Environment.GetEnvironmentVariable(RunRecord.ResumeVariable);
        try
        {
            Environment.SetEnvironmentVariable(RunRecord.ResumeVariable, "1");
            var e = Assert.Throws<ArgumentException>(() => RunRecord.StartOrResume("04-tricks", Profile.Quick));
            Assert.Contains("NOTEBOOK_PROFILE=full", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(RunRecord.ResumeVariable, before);
        }
    }

    /// <summary>Writes <paramref name="record"/> to a temporary file as Save does and reads it back.</summary>
    static (RunRecord Read, string Json) ThroughFile(RunRecord record)
    {
        var path = Path.Combine(Path.GetTempPath(), $"runrecord-{Guid.NewGuid():N}.json");
        try
        {
            Registry.Write(path, record);
            return (Registry.Read<RunRecord>(path)!, File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_sittings_survive_the_json_file()
    {
        var second = RunRecord.Continue(Recorded("a"));
        var (read, _) = ThroughFile(second);
        Assert.Equal(second.EarlierParts, read.EarlierParts);
        Assert.NotNull(read.KeptFromEarlierPart("a"));
    }

    [Fact]
    public void An_unfinished_record_says_so_in_its_file_and_a_finished_one_reads_as_before()
    {
        var record = Recorded("baseline.accuracy");
        record.Unfinished = true;   // as SaveProgress writes it
        var (unfinished, _) = ThroughFile(record);
        Assert.True(unfinished.Unfinished);
        Assert.True(RunRecord.Continue(unfinished) is { Unfinished: false, EarlierParts.Count: 1 });

        record.Unfinished = false;   // as Save writes it
        var (finished, json) = ThroughFile(record);
        Assert.DoesNotContain("Unfinished", json);   // the records from before the flag read alike
        Assert.False(finished.Unfinished);
    }

    [Fact]
    public void A_running_loss_line_is_recorded_at_the_blogs_epoch_and_mini_batch_and_read_back_in_place()
    {
        var record = RunRecord.Start("04-tricks", Profile.Full);
        record.AddRunningLoss("adam", "Adam", 10_000, 10_000, 1.23456);   // the last window of epoch 1
        record.AddRunningLoss("adam", "Adam", 12_000, 10_000, 0.9);

        Assert.Equal(new[] { "adam.loss.1.10000", "adam.loss.2.2000" }, record.Values.Select(v => v.Key));
        Assert.Equal("Adam: running loss [2,  2000]", record["adam.loss.2.2000"]!.What);
        Assert.Equal(1.235, record["adam.loss.1.10000"]!.Value);
        Assert.Equal(new[] { 10_000.0, 12_000.0 }, record.RunningLoss("adam", 10_000).MiniBatches);
    }

    [Fact]
    public void A_runs_running_losses_are_window_means_placed_in_mini_batches_when_steps_accumulate()
    {
        var history = new ClassifierKit.Training.TrainingHistory
        {
            StepRecords = Enumerable.Range(1, 9).Select(s => new ClassifierKit.Training.StepRecord(s, (s - 1) / 4 + 1, s, 0.001)).ToList(),
        };
        var record = RunRecord.Start("04-tricks", Profile.Full);
        record.AddRunningLosses("accumulation", "accumulation", history, printEvery: 2, miniBatchesPerEpoch: 8, miniBatchesPerStep: 2);

        // windows of steps 1-2, 3-4, 5-6, 7-8 (step 9's partial window left out); a step is 2 mini-batches, an epoch 8
        Assert.Equal(new[] { "accumulation.loss.1.4", "accumulation.loss.1.8", "accumulation.loss.2.4", "accumulation.loss.2.8" },
                     record.Values.Select(v => v.Key));
        Assert.Equal(new[] { 1.5, 3.5, 5.5, 7.5 }, record.Values.Select(v => v.Value));
    }

    [Fact]
    public void The_running_loss_lines_are_placed_in_mini_batches_from_the_start()
    {
        var record = RunRecord.Start("04-tricks", Profile.Full);
        record.Add("xavier.loss.1.2000", 2.1, "loss", "[1, 2000]");
        record.Add("xavier.accuracy", 60, "%", "not a loss line");
        record.Add("xavier.loss.2.2000", 1.4, "loss", "[2, 2000]");
        record.Add("xavier_adam.loss.1.2000", 1.9, "loss", "another run's");

        var (miniBatches, losses) = record.RunningLoss("xavier", 10_000);

        Assert.Equal(new[] { 2_000.0, 12_000.0 }, miniBatches);
        Assert.Equal(new[] { 2.1, 1.4 }, losses);
    }
    [Fact]
    public void A_run_chosen_on_the_validation_split_records_no_test_number_until_it_is_tested()
    {
        var history = new ClassifierKit.Training.TrainingHistory
        {
            EpochRecords = { new ClassifierKit.Training.EpochRecord(1, 1.2, 1.1, 0.6, 0.001, 41.6, null) },
            StepRecords = Enumerable.Range(1, 4).Select(s => new ClassifierKit.Training.StepRecord(s, 1, 1.0, 0.001)).ToList(),
        };
        // 3 of 4 right on the validation split; the test set: 1 of 2 planes, 2 of 2 cars
        var validation = new ClassifierKit.Training.EvaluationResult { Classes = ["airplane", "automobile"], ConfusionMatrix = new long[,] { { 2, 1 }, { 0, 1 } }, Loss = 0.5 };
        var test = new ClassifierKit.Training.EvaluationResult { Classes = ["airplane", "automobile"], ConfusionMatrix = new long[,] { { 1, 1 }, { 0, 2 } }, Loss = 0.7 };
        var record = RunRecord.Start("04-tricks", Profile.Full);

        record.AddValidatedTrainingRun("xavier", "Xavier", history, validation, printEvery: 2, miniBatchesPerEpoch: 4);
        Assert.Equal(75.0, record["xavier.validation"]!.Value);
        Assert.Equal(42.0, record["xavier.seconds"]!.Value);
        Assert.Equal(new[] { "xavier.validation", "xavier.seconds", "xavier.loss.1.2", "xavier.loss.1.4" }, record.Values.Select(v => v.Key));

        record.AddTestEvaluation("xavier", "Xavier", test);
        Assert.Equal((75.0, 50.0, 100.0), (record["xavier.accuracy"]!.Value, record["xavier.class.plane"]!.Value, record["xavier.class.car"]!.Value));
        Assert.Equal("Xavier: test accuracy", record["xavier.accuracy"]!.What);
    }

    [Fact]
    public void Running_losses_are_windowed_within_each_epoch_as_the_sources_loops_print_them()
    {
        // 5 mini-batches per epoch, lines every 2: [1, 2], [1, 4], then [2, 2], [2, 4]; mini-batch 5 of each epoch is never printed
        var history = new ClassifierKit.Training.TrainingHistory
        {
            StepRecords = Enumerable.Range(1, 10).Select(s => new ClassifierKit.Training.StepRecord(s, (s - 1) / 5 + 1, s, 0.001)).ToList(),
        };
        var record = RunRecord.Start("02-baseline-cnn", Profile.Full);
        record.AddRunningLosses("net.batch4", "Net, batch 4", history, printEvery: 2, miniBatchesPerEpoch: 5);

        Assert.Equal(new[] { "net.batch4.loss.1.2", "net.batch4.loss.1.4", "net.batch4.loss.2.2", "net.batch4.loss.2.4" }, record.Values.Select(v => v.Key));
        Assert.Equal(new[] { 1.5, 3.5, 6.5, 8.5 }, record.Values.Select(v => v.Value));
    }

    [Fact]
    public void A_value_read_before_its_cell_ran_names_the_key_and_the_fix()
    {
        var record = RunRecord.Start("04-tricks", Profile.Quick);
        record.Add("baseline.validation", 22.2, "%", "baseline");
        Assert.Equal(22.2, record.ValueOf("baseline.validation"));
        var e = Assert.Throws<InvalidOperationException>(() => record.ValueOf("xavier.validation"));
        Assert.Contains("\"xavier.validation\"", e.Message);
        Assert.Contains("Run the cell that produces it first", e.Message);
    }

    [Fact]
    public void Kept_weights_come_back_into_a_fresh_network_and_missing_ones_say_what_to_do()
    {
        string name = $"test-weights-{Guid.NewGuid():N}.weights";
        try
        {
            ClassifierKit.Platform.Seed.Everything(5);
            var trained = TestKit.TinyNet();
            Outputs.SaveWeights(trained, name);
            var fresh = Outputs.LoadWeights(TestKit.TinyNet(), name);
            Assert.All(trained.parameters().Zip(fresh.parameters()), p => Assert.True(p.First.equal(p.Second).all().item<bool>()));

            var e = Assert.Throws<FileNotFoundException>(() => Outputs.LoadWeights(TestKit.TinyNet(), "never-saved-" + name));
            Assert.Contains("Run its training cell first", e.Message);
        }
        finally
        {
            File.Delete(Outputs.File(name));
        }
    }
}

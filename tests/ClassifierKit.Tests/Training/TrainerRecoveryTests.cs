using ClassifierKit.Data;
using ClassifierKit.Platform;
using ClassifierKit.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

/// <summary>
/// Fit is all-or-nothing per optimizer step: whatever ends it early, the trainer is back on its last committed step, and the
/// Fit that continues ends bit for bit where a run that never failed ends, history included. The runs are seeded, augment
/// their images, accumulate gradients over two mini-batches, follow a schedule, keep batch-norm statistics, evaluate and
/// write a checkpoint after every epoch: every piece of state a failure could leave half-done.
/// </summary>
[Collection(GlobalRng.Name)]
public class TrainerRecoveryTests(ITestOutputHelper log) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("classifierkit-recovery-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    const int Epochs = 3, Images = 72, BatchSize = 8;   // 9 mini-batches an epoch, 5 optimizer steps (the last one a half)

    /// <summary>A wrapper whose forward pass can be made to throw once: in training at a given call, or in evaluation.</summary>
    sealed class Flaky : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> inner;
        public int? FailTrainingCall, FailEvaluationCall;
        int _trainingCalls, _evaluationCalls;
        public Flaky(nn.Module<Tensor, Tensor> net) : base("flaky") { inner = net; RegisterComponents(); }
        public override Tensor forward(Tensor x)
        {
            if (training && ++_trainingCalls == FailTrainingCall) throw new InvalidOperationException("injected: forward pass");
            if (!training && ++_evaluationCalls == FailEvaluationCall) throw new InvalidOperationException("injected: evaluation");
            return inner.call(x);
        }
    }

    /// <summary>Fails once at the given point of the loop: an exception, a NaN loss, a stop request or a checkpoint that cannot be written.</summary>
    sealed class Injector(string kind, int at, string checkpoint) : TrainingCallback
    {
        int _batches;
        /// <summary>The stop button of the Fit in progress (each Fit gets a new one, as each run of a cell does).</summary>
        public CancellationTokenSource Stop { get; set; } = new();
        public bool Fired { get; private set; }
        public override void AfterLoss(Trainer t)
        {
            if (Fired || ++_batches != at) return;
            Fired = kind is "afterloss" or "nan" or "stop" or "checkpoint";
            switch (kind)
            {
                case "afterloss": throw new InvalidOperationException("injected: a callback's AfterLoss");
                case "nan": t.Loss!.mul_(double.NaN); break;   // the NaN guard reads it next
                case "stop": Stop.Cancel(); break;
                case "checkpoint": Directory.CreateDirectory(Path.Combine(checkpoint, "blocks-the-rename")); break;   // the file's place is a folder now
            }
        }
        public override void AfterBatch(Trainer t)
        {
            if (kind == "afterbatch" && !Fired && _batches == at) { Fired = true; throw new InvalidOperationException("injected: a callback's AfterBatch"); }
        }
    }

    (TrainingHistory History, Dictionary<string, Tensor> State, int Failures) Run(int seed, string? kind, int at)
    {
        Seed.Everything(seed);
        using var train = TestKit.Synthetic(Images, size: 12, seed: seed + 1);
        using var test = TestKit.Synthetic(30, size: 12, seed: seed + 2);
        using var augmentation = new Augmentation(2, 0.5, seed: seed + 3);
        using var trainLoader = new BatchLoader(train, BatchSize, shuffle: true, Normalization.Half(), augmentation, seed: seed + 4);
        using var testLoader = new BatchLoader(test, 10, shuffle: false, Normalization.Half());
        var model = new Flaky(TestKit.TinyNet(width: 4));
        var optimizer = Optimizers.Sgd(model, 0.05, momentum: 0.9);
        var scheduler = new LrScheduler(optimizer, LrSchedule.OneCycle(0.05, Epochs * 5));
        var checkpoint = Path.Combine(_dir, $"run-{seed}-{kind}-{at}.ckpt");
        var injector = new Injector(kind ?? "none", at, checkpoint);
        if (kind == "forward") model.FailTrainingCall = at;
        if (kind == "evaluation") model.FailEvaluationCall = at;
        var trainer = new Trainer(model, optimizer, TestKit.Quiet(Epochs) with
        {
            AccumulationSteps = 2, CheckpointPath = checkpoint, Callbacks = [injector], Threads = 1,
        }, scheduler);
        int failures = 0;
        while (true)
        {
            try
            {
                injector.Stop = new CancellationTokenSource();
                trainer.Fit(trainLoader, testLoader, injector.Stop.Token);
                break;
            }
            catch (Exception e) when (failures++ < 3)
            {
                log.WriteLine($"seed {seed}, {kind} at {at}: {e.GetType().Name}: {e.Message.Split('\n')[0]} -> back at step {trainer.State.GlobalStep}, " +
                              $"epoch {trainer.State.NextEpoch}, mini-batch {trainer.State.MiniBatchesDone}{(trainer.State.EpochTrained ? " (trained)" : "")}");
                Assert.Equal(trainer.State.StepRecords, trainer.History.StepRecords.Count);
                Assert.Equal(trainer.State.EpochRecords, trainer.History.EpochRecords.Count);
                if (Directory.Exists(checkpoint)) Directory.Delete(checkpoint, recursive: true);
            }
        }
        return (trainer.History, TestKit.Snapshot(model), failures);
    }

    public static TheoryData<string> Kinds() => new() { "afterloss", "afterbatch", "forward", "nan", "stop", "evaluation", "checkpoint" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_fit_continued_after_a_failure_at_a_random_point_ends_as_an_uninterrupted_run(string kind)
    {
        foreach (var seed in new[] { 11, 12, 13 })
        {
            var expected = Run(seed, null, 0);
            var random = new Random(seed * 31 + kind.Length);
            int at = kind switch
            {
                "evaluation" => random.Next(1, 3 * Epochs),            // evaluation batches: 3 per epoch
                "checkpoint" => random.Next(1, Epochs) * 9,             // the last mini-batch of an epoch but the last
                _ => random.Next(1, Epochs * 9 + 1),
            };
            var continued = Run(seed, kind, at);
            Assert.True(continued.Failures == 1, $"{kind} at {at}: {continued.Failures} failures, expected exactly the injected one");
            Assert.Equal(expected.History.StepRecords, continued.History.StepRecords);
            Assert.Equal(expected.History.EpochRecords.Select(r => r with { Seconds = 0 }), continued.History.EpochRecords.Select(r => r with { Seconds = 0 }));
            TestKit.AssertSameState(expected.State, continued.State);
        }
    }
}

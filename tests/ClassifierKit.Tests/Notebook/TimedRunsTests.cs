using ClassifierKit.Notebook;
using ClassifierKit.Recipes;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Notebook;

public class TimedRunsTests
{
    static EightyTwentyResult Result(EvaluationSet on, params (int Epoch, double Seconds, double Accuracy)[] curve) => new()
    {
        Recipe = "test recipe", TargetAccuracy = 0.9, TimeBudget = TimeSpan.FromMinutes(20), Epochs = curve.Length,
        Curve = curve.Select(p => new AccuracyPoint(p.Epoch, p.Seconds, p.Accuracy)).ToList(), EvaluatedOn = on,
        TestAccuracy = 0.885, DataLoadSeconds = 1, TotalSeconds = 130.4,
        Model = nn.Linear(2, 2), History = new TrainingHistory(),
    };

    [Fact]
    public void A_run_chosen_on_a_validation_split_records_where_its_curve_ended()
    {
        var record = RunRecord.Start("07-eighty-twenty", Profile.Quick);
        var runs = new TimedRuns(record, 0.80, 0.90);

        runs.Add("ninety.seed0", "airbench", Result(EvaluationSet.Validation, (1, 40, 0.71), (2, 80, 0.83), (3, 120, 0.8966)));

        Assert.Equal(89.7, record["ninety.seed0.validation"]!.Value);   // the last epoch, not the best or the first
        Assert.Contains("epoch 3", record["ninety.seed0.validation"]!.What);
        Assert.Equal(88.5, record["ninety.seed0.accuracy"]!.Value);     // the test set's one evaluation stays apart
        Assert.Equal(80, record["ninety.seed0.to80"]!.Value);
        Assert.Null(record["ninety.seed0.to90"]);
    }

    [Fact]
    public void A_run_evaluated_on_the_test_set_records_no_validation_accuracy()
    {
        var record = RunRecord.Start("07-eighty-twenty", Profile.Quick);
        new TimedRuns(record, 0.80).Add("final.ninety.seed0", "final", Result(EvaluationSet.Test, (3, 120, 0.885)));

        Assert.Null(record["final.ninety.seed0.validation"]);
        Assert.Equal(88.5, record["final.ninety.seed0.accuracy"]!.Value);
    }
}

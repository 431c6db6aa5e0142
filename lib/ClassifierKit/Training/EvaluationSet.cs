namespace ClassifierKit.Training;

/// <summary>
/// What a trainer's evaluation loader holds: the test set, or a validation split held out of the training images to make
/// choices on, so that the test set is used once, at the end.
/// </summary>
public enum EvaluationSet
{
    Test,
    Validation,
}

public static class EvaluationSetNames
{
    /// <summary>The set's name as output lines and charts say it: "test" or "validation".</summary>
    public static string Name(this EvaluationSet set) => set switch
    {
        EvaluationSet.Test => "test",
        EvaluationSet.Validation => "validation",
        _ => throw new ArgumentOutOfRangeException(nameof(set), set, "an evaluation set is Test or Validation"),
    };
}

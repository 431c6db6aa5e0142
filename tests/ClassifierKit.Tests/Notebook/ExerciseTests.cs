using ClassifierKit.Notebook;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Notebook;

/// <summary>
/// A check cell must say "passed" only for a right answer, and for a stub, a wrong answer or code that fails say "not yet"
/// with what differs and the hint, without throwing (a learner runs the cells in order before writing anything).
/// </summary>
public class ExerciseTests
{
    static Tensor Doubled(Tensor x) => 2 * x;

    [Fact]
    public void A_right_answer_passes_and_the_verdict_says_what_the_check_returned()
    {
        var result = Exercise.Check("09.1", "multiply by two", () =>
        {
            var x = arange(5, ScalarType.Float32);
            Expect.Close(Doubled(x), x + x, "Doubled(x)");
            return "right on five values.";
        });
        Assert.True(result.Passed);
        Assert.Equal("✔ Exercise 09.1 passed: right on five values.", result.ToString());
    }

    [Fact]
    public void A_stub_is_not_yet_with_its_own_message_and_the_hint()
    {
        Tensor Stub(Tensor x) => throw new Todo("Doubled is not written yet");
        var result = Exercise.Check("09.1", "multiply by two", () => { Expect.Close(Stub(ones(3)), full(3, 2f), "Doubled"); });
        Assert.False(result.Passed);
        Assert.Equal("✘ Exercise 09.1 not yet: the stub is still there (Doubled is not written yet). Hint: multiply by two", result.ToString());
    }

    [Fact]
    public void A_wrong_tensor_names_the_worst_element_and_both_values()
    {
        var expected = from_array(new[] { 0f, 2f, 4f });
        var result = Exercise.Check("09.1", "h", () => Expect.Close(from_array(new[] { 0f, 2f, 5f }), expected, "Doubled(x)"));
        Assert.False(result.Passed);
        Assert.Contains("Doubled(x) differs from the expected values by up to 1 (element 2 of the flattened tensor: 5 instead of 4)", result.Message);
        Assert.EndsWith("Hint: h", result.Message);
    }

    [Fact]
    public void A_wrong_shape_NaN_or_null_is_not_yet_and_says_which()
    {
        Assert.Contains("has shape [2], expected [3]", Exercise.Check("09.1", "h", () => Expect.Close(ones(2), ones(3), "y")).Message);
        Assert.Contains("y holds NaN", Exercise.Check("09.1", "h", () => Expect.Close(full(3, float.NaN), ones(3), "y")).Message);
        Assert.Contains("y is null", Exercise.Check("09.1", "h", () => Expect.Close(null, ones(3), "y")).Message);
        Assert.Contains("count is 4, expected 5", Exercise.Check("09.1", "h", () => Expect.Equal(4, 5, "count")).Message);
        Assert.Contains("is [1, 2], expected [1, 3]", Exercise.Check("09.1", "h", () => Expect.Equal(new long[] { 1, 2 }, new long[] { 1, 3 }, "shape")).Message);
        Assert.True(Exercise.Check("09.1", "h", () => Expect.Equal(new long[] { 1, 3 }, new long[] { 1, 3 }, "shape")).Passed);
        Assert.False(Exercise.Check("09.1", "h", () => Expect.Close(double.NaN, 1.0, "loss")).Passed);
    }

    [Fact]
    public void Code_that_throws_is_not_yet_with_the_exception_and_the_hint()
    {
        var result = Exercise.Check("09.1", "add tensors of one shape", () => { ones(2, 3).add(ones(4, 5)); });
        Assert.False(result.Passed);
        Assert.StartsWith("your code threw ", result.Message);
        Assert.EndsWith("Hint: add tensors of one shape", result.Message);
        Assert.DoesNotContain("\n", result.Message);   // the first line of torch's message, not its C++ stack
    }

    [Fact]
    public void A_prediction_left_null_is_not_yet_and_does_not_give_the_answer_away()
    {
        var result = Exercise.Predict("09.2", null, 72, "each backward adds 36");
        Assert.False(result.Passed);
        Assert.DoesNotContain("72", result.Message);
        Assert.DoesNotContain("36", result.Message);
    }

    [Fact]
    public void A_prediction_is_judged_within_its_relative_tolerance_and_the_answer_shown()
    {
        Assert.Contains("(right)", Exercise.Predict("09.2", 72, 72, "why").Message);
        Assert.Contains("(not quite)", Exercise.Predict("09.2", 70, 72, "why").Message);
        Assert.Contains("(right)", Exercise.Predict("09.2", 70, 72, "why", tolerance: 0.05).Message);
        Assert.Contains("the run gives 72", Exercise.Predict("09.2", 1, 72, "why").Message);
        Assert.Contains("you predicted 12,730, the run gives 12,731", Exercise.Predict("09.2", 12730, 12731, "why").Message);
        Assert.Contains("the run gives 0.255123", Exercise.Predict("09.2", 0.25, 0.2551234, "why").Message);
    }
}

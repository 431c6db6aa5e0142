using ClassifierKit.Data;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

[Collection(GlobalRng.Name)]
public class EvaluationTests
{
    /// <summary>Predicts class = label of a fixed lookup, ignoring the image: a model with known answers.</summary>
    sealed class Oracle(long[] answers) : nn.Module<Tensor, Tensor>("oracle")
    {
        int _next;
        public override Tensor forward(Tensor x)
        {
            var n = (int)x.shape[0];
            var picks = tensor(answers[_next..(_next + n)]);
            _next = (_next + n) % answers.Length;
            return nn.functional.one_hot(picks, 3).to(ScalarType.Float32) * 10;
        }
    }

    [Fact]
    public void Accuracy_per_class_rows_confusion_matrix_and_blog_lines_agree()
    {
        var labels = new long[] { 0, 0, 1, 1, 2, 2 };
        var preds = new long[] { 0, 1, 1, 1, 2, 0 };
        using var data = new ImageDataset(zeros(6, 3, 4, 4, ScalarType.Byte), tensor(labels), new[] { "plane", "car", "bird" });
        using var loader = new BatchLoader(data, 4, shuffle: false, Normalization.Half());
        var model = new Oracle(preds);
        model.train();
        var r = Evaluation.Evaluate(model, loader);
        Assert.True(model.training);
        Assert.Equal(4, r.Correct);
        Assert.Equal(6, r.Total);
        Assert.Equal(new long[,] { { 1, 1, 0 }, { 0, 2, 0 }, { 1, 0, 1 } }, r.ConfusionMatrix);
        Assert.Equal(new[] { new ClassAccuracy("plane", 1, 2), new ClassAccuracy("car", 2, 2), new ClassAccuracy("bird", 1, 2) }, r.PerClass);
        Assert.Equal(new[]
        {
            "Accuracy of the network on the 6 test images: 66 %",
            "Accuracy of plane : 50 %",
            "Accuracy of   car : 100 %",
            "Accuracy of  bird : 50 %",
        }, r.BlogLines());
        var p = Evaluation.PredictBatch(model, loader);
        Assert.Equal(new long[] { 0, 0, 1, 1 }, p.Truth);
        Assert.Equal("GroundTruth:  plane plane   car   car", p.GroundTruthLine);
    }

    /// <summary>Logits that depend on the image only through its column means of channel 0, so mirroring changes them.</summary>
    sealed class ColumnNet : nn.Module<Tensor, Tensor>
    {
        public ColumnNet() : base("columns") { }
        public override Tensor forward(Tensor x) => x[.., 0].mean([1]).narrow(1, 0, 3);   // [B, W] -> first 3 columns as logits
    }

    /// <summary>ColumnNet(x) + ColumnNet(mirror of x): mirroring only swaps the two terms, so the logits stay bit-identical.</summary>
    sealed class FlipInvariantNet : nn.Module<Tensor, Tensor>
    {
        readonly ColumnNet inner = new();
        public FlipInvariantNet() : base("invariant") { }
        public override Tensor forward(Tensor x) => inner.forward(x) + inner.forward(x.flip(3));
    }

    [Fact]
    public void Test_time_flip_averages_the_logits_of_the_image_and_its_mirror()
    {
        using var x = randn(5, 3, 4, 4);
        var model = new ColumnNet();
        using var expected = (model.forward(x) + model.forward(x.flip(3))) / 2;
        using var actual = Evaluation.FlipAveragedLogits(model, x);
        Assert.True(actual.allclose(expected));
        Assert.False(actual.allclose(model.forward(x)));
    }

    [Fact]
    public void Test_time_flip_changes_nothing_for_a_flip_invariant_model()
    {
        using var g = new TorchSharp.torch.Generator(7, CPU);
        using var data = new ImageDataset(randint(0, 256, new long[] { 20, 3, 6, 6 }, generator: g).to(ScalarType.Byte),
            randint(0, 3, new long[] { 20 }, generator: g), new[] { "plane", "car", "bird" });
        using var loader = new BatchLoader(data, 8, shuffle: false, Normalization.Half());
        var model = new FlipInvariantNet();
        var plain = Evaluation.Evaluate(model, loader);
        var flipped = Evaluation.Evaluate(model, loader, testTimeFlip: true);
        Assert.Equal(plain.ConfusionMatrix, flipped.ConfusionMatrix);
        Assert.Equal(plain.Loss, flipped.Loss, 5);
    }

    [Fact]
    public void A_model_with_more_outputs_than_the_data_has_classes_is_refused()
    {
        using var data = TestKit.Synthetic(20, classes: 2);
        using var loader = new BatchLoader(data, 5, shuffle: false, Normalization.Half());
        var tenWay = TestKit.TinyNet(classes: 10);
        var e = Assert.Throws<ArgumentException>(() => Evaluation.Evaluate(tenWay, loader));
        Assert.Contains("outputs shape [5, 10]", e.Message);
        Assert.Contains("has 2 classes", e.Message);
    }

    [Fact]
    public void A_cancelled_evaluation_stops_with_a_one_line_message()
    {
        using var data = TestKit.Synthetic(40);
        using var loader = new BatchLoader(data, 4, shuffle: false, Normalization.Half());
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var e = Assert.Throws<EvaluationStoppedException>(() => Evaluation.Evaluate(TestKit.TinyNet(), loader, cancellation: cancelled.Token));
        Assert.Equal("Evaluation stopped after 0 of 10 batches; no result was kept. Run it again to evaluate.", e.ToString());
    }
}

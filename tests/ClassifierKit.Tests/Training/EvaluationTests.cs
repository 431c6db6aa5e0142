using ClassifierKit.Data;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Training;

[Collection("Training")]
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
}

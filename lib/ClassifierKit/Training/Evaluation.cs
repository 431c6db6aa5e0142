using ClassifierKit.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>Accuracy of one class: the blog's accuracy_monitor row as data.</summary>
public sealed record ClassAccuracy(string Class, long Correct, long Total)
{
    /// <summary>Correct / Total in [0, 1] (0 when the class has no images).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}

/// <summary>Result of one pass over a loader: loss, accuracy, per-class rows and the confusion matrix.</summary>
public sealed class EvaluationResult
{
    /// <summary>Class names in label order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    /// <summary>Counts [true class, predicted class].</summary>
    public required long[,] ConfusionMatrix { get; init; }
    /// <summary>Mean cross-entropy (no label smoothing) over all images.</summary>
    public required double Loss { get; init; }

    /// <summary>Images classified correctly.</summary>
    public long Correct => Enumerable.Range(0, Classes.Count).Sum(i => ConfusionMatrix[i, i]);
    /// <summary>Images evaluated.</summary>
    public long Total => ConfusionMatrix.Cast<long>().Sum();
    /// <summary>Correct / Total in [0, 1].</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>One row per class, in label order.</summary>
    public IReadOnlyList<ClassAccuracy> PerClass =>
        Enumerable.Range(0, Classes.Count)
            .Select(i => new ClassAccuracy(Classes[i], ConfusionMatrix[i, i], Enumerable.Range(0, Classes.Count).Sum(j => ConfusionMatrix[i, j])))
            .ToList();

    /// <summary>The blog's lines: <c>Accuracy of the network on the 10000 test images: 53 %</c>, then <c>Accuracy of plane : 70 %</c> per class.</summary>
    public IEnumerable<string> BlogLines()
    {
        yield return $"Accuracy of the network on the {Total} test images: {(int)(100.0 * Correct / Math.Max(1, Total))} %";
        foreach (var row in PerClass)
            yield return $"Accuracy of {row.Class,5} : {(int)(100.0 * row.Correct / Math.Max(1, row.Total)),2} %";
    }

    /// <summary>Writes <see cref="BlogLines"/> to <paramref name="output"/> (default Console.Out).</summary>
    public void Print(TextWriter? output = null)
    {
        output ??= Console.Out;
        foreach (var line in BlogLines()) output.WriteLine(line);
    }
}

/// <summary>Ground truth against predictions for one batch, with the blog's print lines.</summary>
public sealed record BatchPredictions(long[] Truth, long[] Predicted, IReadOnlyList<string> Classes)
{
    /// <summary>The blog's <c>GroundTruth:    cat  ship  ship plane  frog</c>.</summary>
    public string GroundTruthLine => "GroundTruth:  " + string.Join(" ", Truth.Select(i => $"{Classes[(int)i],5}"));
    /// <summary>The blog's <c>Predicted:    cat plane   car plane  frog</c>.</summary>
    public string PredictedLine => "Predicted:  " + string.Join(" ", Predicted.Select(i => $"{Classes[(int)i],5}"));
}

/// <summary>Model evaluation in eval mode without gradients; the model's previous train/eval mode is restored afterwards.</summary>
public static class Evaluation
{
    /// <summary>One pass over <paramref name="loader"/>: confusion matrix, loss and accuracies, synchronizing with the device once.</summary>
    /// <param name="model">The classifier; evaluated in eval mode, its mode restored afterwards.</param>
    /// <param name="loader">The images to evaluate.</param>
    /// <param name="testTimeFlip">Test-time augmentation: classify with the mean of the logits of each image and its mirror image (twice the compute).</param>
    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, BatchLoader loader, bool testTimeFlip = false)
    {
        int k = loader.Classes.Count;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Tensor? counts = null, lossSum = null;
            foreach (var batch in loader)
            {
                using var step = NewDisposeScope();
                var logits = testTimeFlip ? FlipAveragedLogits(model, batch.Images) : model.forward(batch.Images);
                var predicted = logits.argmax(1);
                var cells = batch.Labels * k + predicted;
                var batchCounts = cells.bincount(null, k * k);
                var batchLoss = nn.functional.cross_entropy(logits, batch.Labels, reduction: nn.Reduction.Sum).to(ScalarType.Float64);
                if (counts is null)
                {
                    counts = batchCounts.MoveToOuterDisposeScope();
                    lossSum = batchLoss.MoveToOuterDisposeScope();
                }
                else
                {
                    counts.add_(batchCounts);
                    lossSum!.add_(batchLoss);
                }
            }
            var matrix = new long[k, k];
            double loss = 0;
            if (counts is not null)
            {
                var flat = counts.cpu().data<long>().ToArray();
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        matrix[i, j] = flat[i * k + j];
                loss = lossSum!.item<double>() / Math.Max(1, flat.Sum());
            }
            return new EvaluationResult { Classes = loader.Classes, ConfusionMatrix = matrix, Loss = loss };
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>The mean of the logits of <paramref name="images"/> and of their left-right mirror images (test-time flip augmentation).</summary>
    public static Tensor FlipAveragedLogits(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        using var scope = NewDisposeScope();
        var sum = model.forward(images) + model.forward(images.flip(3));
        return sum.div_(2).MoveToOuterDisposeScope();
    }

    /// <summary>Overall accuracy in [0, 1].</summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, BatchLoader loader) => Evaluate(model, loader).Accuracy;

    /// <summary>The blog's accuracy_monitor: prints the overall and per-class lines and returns the per-class rows.</summary>
    public static IReadOnlyList<ClassAccuracy> AccuracyMonitor(nn.Module<Tensor, Tensor> model, BatchLoader loader, TextWriter? output = null)
    {
        var result = Evaluate(model, loader);
        result.Print(output);
        return result.PerClass;
    }

    /// <summary>Predicted class indices for a batch of normalized images.</summary>
    public static long[] Predict(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return model.forward(images).argmax(1).cpu().data<long>().ToArray();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Ground truth and predictions for batch <paramref name="index"/> of the loader in dataset order.</summary>
    public static BatchPredictions PredictBatch(nn.Module<Tensor, Tensor> model, BatchLoader loader, int index = 0)
    {
        using var batch = loader.GetBatch(index);
        using var labels = batch.Labels.cpu();
        return new BatchPredictions(labels.data<long>().ToArray(), Predict(model, batch.Images), loader.Classes);
    }
}

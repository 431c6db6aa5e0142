using ClassifierKit.Data;
using ClassifierKit.Models;
using ClassifierKit.Platform;
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

/// <summary>How many views of each test image are classified, their logits averaged (test-time augmentation).</summary>
public enum TestTimeAugmentation
{
    /// <summary>The image alone.</summary>
    None,
    /// <summary>The image and its mirror image (twice the compute).</summary>
    Flip,
    /// <summary>airbench's level 2: the mirrored pair of the image, weighted 1/2, and the mirrored pairs of the image shifted one pixel
    /// up-left and down-right (reflect-padded), 1/4 each (six times the compute).</summary>
    FlipAndShift,
}

/// <summary>An evaluation was stopped on request; nothing was kept.</summary>
public sealed class EvaluationStoppedException(int done, int total, CancellationToken token)
    : OperationCanceledException($"Evaluation stopped after {done} of {total} batches; no result was kept. Run it again to evaluate.", token)
{
    /// <summary>The message alone (a honoured stop request, not a fault).</summary>
    public override string ToString() => Message;
}

/// <summary>
/// Model evaluation and prediction in eval mode without gradients. They change nothing: every module's train/eval mode is put
/// back as it was (frozen sub-modules included), batch-norm statistics are not updated, and a model that is training is
/// refused rather than interleaved (<see cref="ModelRuns"/>).
/// </summary>
public static class Evaluation
{
    /// <summary>Why a loader that augments cannot be evaluated.</summary>
    public const string AugmentingLoaderMessage =
        "This loader augments its images (random crops and flips): evaluating with it would score random views, and two " +
        "evaluations of the same model would disagree. Evaluate with a loader built without augmentation, e.g. " +
        "new BatchLoader(testSet, 1000, shuffle: false, normalization) (test-time views: the testTimeFlip or views argument).";

    /// <summary>One pass over <paramref name="loader"/>: confusion matrix, loss and accuracies, synchronizing with the device once.</summary>
    /// <param name="model">The classifier; evaluated in eval mode, its mode restored afterwards. It must output one score per class of the loader.</param>
    /// <param name="loader">The images to evaluate.</param>
    /// <param name="testTimeFlip">Test-time augmentation: classify with the mean of the logits of each image and its mirror image (twice the compute).</param>
    /// <param name="precision">Arithmetic of the forward passes (see <see cref="Training.Precision"/>).</param>
    /// <param name="cancellation">Stops the pass (as do the notebook's Stop button and Ctrl+C, through <see cref="StopRequests"/>).</param>
    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, BatchLoader loader, bool testTimeFlip = false,
        Precision precision = Precision.Float32, CancellationToken cancellation = default) =>
        Evaluate(model, loader, testTimeFlip ? TestTimeAugmentation.Flip : TestTimeAugmentation.None, precision, cancellation);

    /// <summary>As <see cref="Evaluate(nn.Module{Tensor, Tensor}, BatchLoader, bool, Precision, CancellationToken)"/>, with a choice of test-time augmentation.</summary>
    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, BatchLoader loader, TestTimeAugmentation views,
        Precision precision = Precision.Float32, CancellationToken cancellation = default)
    {
        if (loader.Augmentation is not null) throw new ArgumentException(AugmentingLoaderMessage, nameof(loader));
        int k = loader.Classes.Count;
        var mixed = new MixedPrecision(precision, loader.Device);
        using var claim = ModelRuns.Enter(model, $"Evaluation.Evaluate of this {model.GetType().Name}");
        using var stop = StopRequests.ForRun(cancellation);
        using var oneDnn = OneDnn.AvoidBugFor(model, loader.Device);
        using var modes = ModuleModes.Keep(model);
        model.eval();
        int done = 0;
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Tensor? counts = null, lossSum = null;
            foreach (var batch in loader)
            {
                if (stop.IsCancellationRequested) throw new EvaluationStoppedException(done, loader.Count, stop.Token);
                using var step = NewDisposeScope();
                var logits = views switch
                {
                    TestTimeAugmentation.Flip => FlipAveragedLogits(model, batch.Images, mixed),
                    TestTimeAugmentation.FlipAndShift => FlipAndShiftLogits(model, batch.Images, mixed),
                    _ => mixed.Forward(model, batch.Images),
                };
                if (done == 0) CheckOutputs(model, logits, loader);
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
                done++;
            }
            var matrix = new long[k, k];
            var flat = counts!.cpu().data<long>().ToArray();
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                    matrix[i, j] = flat[i * k + j];
            double loss = lossSum!.item<double>() / flat.Sum();
            return new EvaluationResult { Classes = loader.Classes, ConfusionMatrix = matrix, Loss = loss };
        }
        catch (Exception e) when (TorchOperationException.IsTorchFailure(e))
        {
            throw new TorchOperationException($"Evaluating {model.GetType().Name} failed at batch {done + 1} of {loader.Count}", e,
                ModelInputs.Explain(model, [loader.BatchSize, .. loader.Dataset.Images.shape.Skip(1)], e.Message));
        }
    }

    // A 10-output model on a 2-class set would count a prediction of class 3 as a correct class-1 image (3 = 1 * 2 + 1 in the
    // flattened confusion matrix), so the widths must agree.
    static void CheckOutputs(nn.Module model, Tensor logits, BatchLoader loader)
    {
        if (logits.dim() != 2 || logits.shape[1] != loader.Classes.Count)
            throw new ArgumentException(
                $"{model.GetType().Name} outputs shape [{string.Join(", ", logits.shape)}] but the loader's dataset has {loader.Classes.Count} classes " +
                $"({string.Join(", ", loader.Classes.Take(4))}{(loader.Classes.Count > 4 ? ", ..." : "")}); a classifier must output [batch, {loader.Classes.Count}]. " +
                "Build the model for this dataset's number of classes.", nameof(model));
    }

    /// <summary>The mean of the logits of <paramref name="images"/> and of their left-right mirror images (test-time flip augmentation).</summary>
    public static Tensor FlipAveragedLogits(nn.Module<Tensor, Tensor> model, Tensor images) =>
        FlipAveragedLogits(model, images, new MixedPrecision(Precision.Float32, images.device));

    static Tensor FlipAveragedLogits(nn.Module<Tensor, Tensor> model, Tensor images, MixedPrecision mixed)
    {
        using var scope = NewDisposeScope();
        var sum = mixed.Forward(model, images) + mixed.Forward(model, images.flip(3));
        return sum.div_(2).MoveToOuterDisposeScope();
    }

    static Tensor FlipAndShiftLogits(nn.Module<Tensor, Tensor> model, Tensor images, MixedPrecision mixed)
    {
        using var scope = NewDisposeScope();
        long h = images.shape[2], w = images.shape[3];
        var padded = nn.functional.pad(images, new long[] { 1, 1, 1, 1 }, PaddingModes.Reflect);
        var upLeft = padded[.., .., ..(int)h, ..(int)w];
        var downRight = padded[.., .., 2..(int)(h + 2), 2..(int)(w + 2)];
        var centre = FlipAveragedLogits(model, images, mixed);
        var shifted = (FlipAveragedLogits(model, upLeft, mixed) + FlipAveragedLogits(model, downRight, mixed)) / 2;
        return (centre + shifted).div_(2).MoveToOuterDisposeScope();
    }

    /// <summary>Predicted class indices for a batch of normalized images.</summary>
    public static long[] Predict(nn.Module<Tensor, Tensor> model, Tensor images) => Probabilities(model, images).Select(Argmax).ToArray();

    /// <summary>Softmax probabilities [batch][class] for a batch of normalized images (the scores' softmax; the prediction is its argmax).</summary>
    /// <exception cref="ArgumentException">The images, or the model's scores for them, hold NaN or infinity: no class is given for them.</exception>
    public static float[][] Probabilities(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        using var claim = ModelRuns.Enter(model, $"Evaluation.Predict with this {model.GetType().Name}");
        using var oneDnn = OneDnn.AvoidBugFor(model, images.device);
        using var modes = ModuleModes.Keep(model);
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            if (!images.isfinite().all().item<bool>())
                throw new ArgumentException(
                    $"The images [{string.Join(", ", images.shape)}] hold NaN or infinite values, so no prediction would mean anything. " +
                    "Check how they were made: a division by a zero standard deviation in the normalization, or an image file that did not decode.", nameof(images));
            var scores = model.forward(images.dim() == 3 ? images.unsqueeze(0) : images);
            if (!scores.isfinite().all().item<bool>())
                throw new ArgumentException(
                    $"{model.GetType().Name} gave NaN or infinite scores for these images [{string.Join(", ", images.shape)}], so no class can be " +
                    "chosen: its weights have diverged (a NaN loss in training), or the images are far outside the range it was trained on.", nameof(model));
            var p = nn.functional.softmax(scores, 1).cpu();
            var flat = p.data<float>().ToArray();
            int k = (int)p.shape[1];
            return Enumerable.Range(0, (int)p.shape[0]).Select(i => flat[(i * k)..((i + 1) * k)]).ToArray();
        }
        catch (Exception e) when (TorchOperationException.IsTorchFailure(e))
        {
            throw new TorchOperationException($"{model.GetType().Name} could not classify these images", e, ModelInputs.Explain(model, images.shape, e.Message));
        }
    }

    static long Argmax(float[] scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++) if (scores[i] > scores[best]) best = i;
        return best;
    }

    /// <summary>Ground truth and predictions for batch <paramref name="index"/> of the loader in dataset order.</summary>
    public static BatchPredictions PredictBatch(nn.Module<Tensor, Tensor> model, BatchLoader loader, int index = 0)
    {
        using var batch = loader.GetBatch(index);
        using var labels = batch.Labels.cpu();
        return new BatchPredictions(labels.data<long>().ToArray(), Predict(model, batch.Images), loader.Classes);
    }
}

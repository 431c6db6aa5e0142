using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>Training criteria: (logits [B, K], int64 labels [B]) to a scalar loss.</summary>
public static class Losses
{
    /// <summary>Mean cross-entropy; with label smoothing eps it equals (1 - eps) * CE + eps * mean over classes of -log p.</summary>
    public static Func<Tensor, Tensor, Tensor> CrossEntropy(double labelSmoothing = 0) =>
        (logits, labels) => nn.functional.cross_entropy(logits, labels, label_smoothing: labelSmoothing);
}

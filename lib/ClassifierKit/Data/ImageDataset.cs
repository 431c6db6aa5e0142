using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Data;

/// <summary>A whole image-classification split held in memory: uint8 images [N, C, H, W] and int64 labels [N] in [0, classes).</summary>
/// <remarks>
/// A dataset owns its two tensor handles, which may be views of a larger split (<see cref="Take"/>, or the split that
/// <see cref="Cifar10.Load"/> keeps once per process). Disposing a view frees the view only; the pixels stay while any
/// handle to them is alive. So re-running a notebook's data cell costs no new copy of the data.
/// </remarks>
public sealed class ImageDataset : IDisposable
{
    readonly Tensor _images, _labels;
    bool _disposed;

    /// <summary>Raw pixels, uint8, [N, C, H, W].</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public Tensor Images => _disposed ? throw Disposed() : _images;

    /// <summary>Class indices, int64, [N].</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public Tensor Labels => _disposed ? throw Disposed() : _labels;

    /// <summary>Whether <see cref="Dispose"/> was called: the dataset's pixels are gone from it.</summary>
    public bool IsDisposed => _disposed;

    static ObjectDisposedException Disposed() => new(nameof(ImageDataset),
        "This ImageDataset was disposed (a using block around it ended, or Dispose was called), so its pixels are gone. Load or " +
        "take the data again, e.g. Cifar10.Load(train: true).Take(n) (a split is read once per kernel, so this costs no new read).");

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Number of images.</summary>
    public long Count => Labels.shape[0];

    /// <summary>Takes ownership of <paramref name="images"/> and <paramref name="labels"/>; checks types, shapes and the label range.</summary>
    public ImageDataset(Tensor images, Tensor labels, IReadOnlyList<string> classes)
    {
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException($"images must be uint8 [N, C, H, W], got {images.dtype} [{string.Join(", ", images.shape)}]", nameof(images));
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"labels must be int64 [{images.shape[0]}] (one per image), got {labels.dtype} [{string.Join(", ", labels.shape)}]", nameof(labels));
        if (classes.Count == 0)
            throw new ArgumentException("a dataset needs at least one class name", nameof(classes));
        if (labels.shape[0] > 0)
        {
            long min = labels.min().item<long>(), max = labels.max().item<long>();
            if (min < 0 || max >= classes.Count)
                throw new ArgumentException(
                    $"labels must lie in [0, {classes.Count - 1}] for {classes.Count} classes, but they range over [{min}, {max}]. " +
                    "Pass one class name per label value, or remap the labels.", nameof(labels));
        }
        _images = images.DetachFromDisposeScope();
        _labels = labels.DetachFromDisposeScope();
        Classes = classes;
    }

    // A view of tensors already checked: skips the label scan, which would cost a pass over the data per Take.
    ImageDataset(Tensor images, Tensor labels, IReadOnlyList<string> classes, bool _)
    {
        _images = images.DetachFromDisposeScope();
        _labels = labels.DetachFromDisposeScope();
        Classes = classes;
    }

    /// <summary>The first <paramref name="count"/> images (all of them when there are fewer), as a view: no pixels are copied.</summary>
    public ImageDataset Take(long count)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Take needs at least 1 image (this dataset has {Count:N0}).");
        count = Math.Min(count, Count);
        return new ImageDataset(Images.narrow(0, 0, count), Labels.narrow(0, 0, count), Classes, true);
    }

    /// <summary>
    /// Splits off the last <paramref name="validationCount"/> images as a validation set and keeps the rest for training, both
    /// as views (no pixels copied). Choices (a trick, a learning rate, a number of epochs) are made on the validation set, so
    /// that the test set is touched once, at the end, and its accuracy stays an honest estimate.
    /// </summary>
    /// <remarks>
    /// The last images rather than a random draw, as Keras's <c>validation_split</c> does: CIFAR-10's training files are in
    /// random order already, so the tail is a fair sample, and the same tail on every machine and every run. A notebook that
    /// trains on a subset takes it from the training part (<c>split.Train.Take(n)</c>), so the two never share an image.
    /// </remarks>
    public (ImageDataset Train, ImageDataset Validation) SplitValidation(long validationCount)
    {
        if (validationCount < 1 || validationCount >= Count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount,
                $"SplitValidation needs at least 1 validation image and at least 1 left for training; this dataset has {Count:N0}. " +
                "Ask for fewer validation images (5,000 of CIFAR-10's 50,000 is the usual), or split a larger dataset.");
        long trainCount = Count - validationCount;
        return (new ImageDataset(Images.narrow(0, 0, trainCount), Labels.narrow(0, 0, trainCount), Classes, true),
                new ImageDataset(Images.narrow(0, trainCount, validationCount), Labels.narrow(0, trainCount, validationCount), Classes, true));
    }

    /// <summary>Another handle to the same pixels and labels (the caller disposes it; the data stays while any handle lives).</summary>
    public ImageDataset View() => new(Images.alias(), Labels.alias(), Classes, true);

    /// <summary>The same data on another device (a copy), e.g. to keep a whole dataset on the GPU.</summary>
    public ImageDataset To(Device device) => new(Images.to(device), Labels.to(device), Classes, true);

    /// <summary>Number of images per class, in label order.</summary>
    public long[] ClassCounts()
    {
        using var scope = NewDisposeScope();
        return Labels.cpu().bincount(null, Classes.Count).data<long>().ToArray();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _images.Dispose();
        _labels.Dispose();
    }
}

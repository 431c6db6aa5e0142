using ClassifierKit.Data;
using ClassifierKit.Models;
using ClassifierKit.Training;
using static TorchSharp.torch;

namespace ClassifierKit.Benchmarks;

/// <summary>What a row times.</summary>
public enum Phase
{
    /// <summary>Full training step: next batch from the loader, forward + loss, backward, optimizer step, gradients dropped (as Trainer.Fit).</summary>
    Train,
    /// <summary>The same training step on one fixed pre-built batch (no loader): the model's own cost.</summary>
    PureTrain,
    /// <summary>Next batch from the loader, then forward + loss under no_grad in eval mode.</summary>
    Eval,
    /// <summary>Whole epochs through the real <see cref="Trainer.Fit(BatchLoader, BatchLoader?, CancellationToken)"/> (its callbacks,
    /// precision handling and loss reads included); only whole steps are timed.</summary>
    Fit,
}

/// <summary>Which split a row draws its batches from.</summary>
public enum DataSplit { CifarTrain, CifarTest, FashionMnistTrain }

/// <summary>One row of the table: model, data, batch size, phase and how many steps to time.</summary>
/// <param name="Id">Short name used by --rows, e.g. net4.</param>
/// <param name="Model">Model name as printed.</param>
/// <param name="CreateModel">Builds a fresh model.</param>
/// <param name="CreateOptimizer">Builds the optimizer for a model (train rows).</param>
/// <param name="Split">Dataset split the loader reads.</param>
/// <param name="Normalization">The loader's normalization (as the notebooks use it).</param>
/// <param name="Augment">Whether the loader applies <see cref="Augmentation.CropAndFlip"/>.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="Phase">Train, pure train or eval.</param>
/// <param name="StepsPerRepeat">Timed steps per repeat in the full setting (each repeat lasting ~2-5 s on 2 CPU threads).</param>
/// <param name="WarmupSteps">Untimed steps before the first repeat.</param>
/// <param name="Precision">The arithmetic of a <see cref="Phase.Fit"/> row (the other phases run float32).</param>
public sealed record BenchmarkCase(
    string Id, string Model, Func<nn.Module<Tensor, Tensor>> CreateModel, Func<nn.Module, optim.Optimizer> CreateOptimizer,
    DataSplit Split, Normalization Normalization, bool Augment, int BatchSize, Phase Phase, int StepsPerRepeat, int WarmupSteps,
    Precision Precision = Precision.Float32)
{
    /// <summary>"train", "train pure", "eval", "Trainer.Fit" or "Trainer.Fit bf16".</summary>
    public string PhaseName => Phase switch
    {
        Phase.Train => "train",
        Phase.PureTrain => "train pure",
        Phase.Eval => "eval",
        _ => Precision == Precision.BFloat16 ? "Trainer.Fit bf16" : "Trainer.Fit",
    };

    /// <summary>Whether the row trains (every phase but eval).</summary>
    public bool Trains => Phase != Phase.Eval;

    static nn.Module<Tensor, Tensor> NewNet() => new Net();
    static nn.Module<Tensor, Tensor> NewResNet18() => ResNet.resnet18();
    static nn.Module<Tensor, Tensor> NewResNet18ChannelsLast() => ResNet.resnet18(new ResNetOptions(ChannelsLast: true));
    static nn.Module<Tensor, Tensor> NewTinyVgg() => new FashionMnistModelV2(inputShape: 1, hiddenUnits: 10, outputShape: FashionMnist.Classes.Length);

    // The blog's optimizer for the CIFAR models; the Fashion-MNIST lab's plain SGD at lr 0.1 for TinyVGG.
    static optim.Optimizer BlogSgd(nn.Module m) => Optimizers.Sgd(m, lr: 0.001, momentum: 0.9);
    static optim.Optimizer LabSgd(nn.Module m) => Optimizers.Sgd(m, lr: 0.1, momentum: 0);

    static readonly Normalization Half = Normalization.Half(3);
    static readonly Normalization ToTensor = new([0f], [1f]);

    /// <summary>Every row, in the order they run (peak RSS is process-wide, so it grows down the table).</summary>
    public static IReadOnlyList<BenchmarkCase> Catalog { get; } =
    [
        new("net4",          "Net",      NewNet,      BlogSgd, DataSplit.CifarTrain, Half, false, 4,    Phase.Train,     2000, 200),
        new("net4pure",      "Net",      NewNet,      BlogSgd, DataSplit.CifarTrain, Half, false, 4,    Phase.PureTrain, 2000, 200),
        new("net4fit",       "Net",      NewNet,      BlogSgd, DataSplit.CifarTrain, Half, false, 4,    Phase.Fit,       2000, 200),
        new("net128",        "Net",      NewNet,      BlogSgd, DataSplit.CifarTrain, Half, false, 128,  Phase.Train,     200,  20),
        new("net128fit",     "Net",      NewNet,      BlogSgd, DataSplit.CifarTrain, Half, false, 128,  Phase.Fit,       200,  20),
        new("net128bf16",    "Net",      NewNet,      BlogSgd, DataSplit.CifarTrain, Half, false, 128,  Phase.Fit,       200,  20, Precision.BFloat16),
        new("neteval1000",   "Net",      NewNet,      BlogSgd, DataSplit.CifarTest,  Half, false, 1000, Phase.Eval,      40,   5),
        new("tinyvgg32",     "TinyVGG",  NewTinyVgg,  LabSgd,  DataSplit.FashionMnistTrain, ToTensor, false, 32, Phase.Train, 300, 30),
        new("resnet5",       "ResNet18", NewResNet18, BlogSgd, DataSplit.CifarTrain, Half, true,  5,    Phase.Train,     20,   3),
        new("resnet128",     "ResNet18", NewResNet18, BlogSgd, DataSplit.CifarTrain, Half, true,  128,  Phase.Train,     3,    1),
        new("resnet128fit",  "ResNet18", NewResNet18, BlogSgd, DataSplit.CifarTrain, Half, true,  128,  Phase.Fit,       3,    1),
        new("resnet128bf16", "ResNet18", NewResNet18, BlogSgd, DataSplit.CifarTrain, Half, true,  128,  Phase.Fit,       3,    1, Precision.BFloat16),
        new("resnet128bf16cl", "ResNet18 NHWC", NewResNet18ChannelsLast, BlogSgd, DataSplit.CifarTrain, Half, true, 128, Phase.Fit, 3,    1, Precision.BFloat16),
        new("resneteval500", "ResNet18", NewResNet18, BlogSgd, DataSplit.CifarTest,  Half, false, 500,  Phase.Eval,      1,    1),
    ];
}

namespace ClassifierKit.Models;

/// <summary>Settings for <see cref="ResNet"/>; the defaults give the blog's resnet18() as it actually runs (conv1 input layer, plain shortcuts).</summary>
/// <param name="NumClasses">Outputs of the final linear layer.</param>
/// <param name="UseStem">Build the blog's <c>conv0</c> stem and use it instead of conv1 (the blog builds it but leaves it unused); when false there is no conv0 at all.</param>
/// <param name="ResNetD">"Bag of Tricks" ResNet-D shortcuts: downsampling shortcuts average-pool before a stride-1 1x1 conv.</param>
public sealed record ResNetOptions(int NumClasses = 10, bool UseStem = false, bool ResNetD = false);

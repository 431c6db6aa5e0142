namespace ClassifierKit.Models;

/// <summary>Settings for <see cref="ResNet"/>; the defaults give the blog's resnet18() as it actually runs (conv1 input layer, plain shortcuts).</summary>
/// <param name="NumClasses">Outputs of the final linear layer.</param>
/// <param name="UseStem">Build the blog's <c>conv0</c> stem and use it instead of conv1 (the blog builds it but leaves it unused); when false there is no conv0 at all.</param>
/// <param name="ResNetD">"Bag of Tricks" ResNet-D shortcuts: downsampling shortcuts average-pool before a stride-1 1x1 conv.</param>
/// <param name="BaseWidth">Channels of conv1 and conv2_x; the later stages use 2x, 4x and 8x. The blog's 64; a smaller width
/// (a multiple of 16, see <see cref="Platform.OneDnn"/>) gives the same architecture at a fraction of the cost for quick CPU experiments.</param>
/// <param name="ChannelsLast">Keep the convolution weights and the activations channels-last (NHWC, see <see cref="Models.ChannelsLast"/>),
/// the layout oneDNN computes in, so fewer layout conversions run per step; the same arithmetic, another memory order.</param>
public sealed record ResNetOptions(int NumClasses = 10, bool UseStem = false, bool ResNetD = false, int BaseWidth = 64, bool ChannelsLast = false);

using System.Globalization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClassifierKit.Models;

/// <summary>
/// What a model's first layer takes, read off the model, and the likely reason a batch does not fit it: the facts a shape
/// error needs (libtorch's "mat1 and mat2 shapes cannot be multiplied (4x2704 and 400x120)" names neither the images nor
/// the layer).
/// </summary>
public static class ModelInputs
{
    /// <summary>The first convolution or linear layer, with its name, or null when the model starts with neither.</summary>
    public static (string Name, nn.Module Layer)? FirstLayer(nn.Module model) =>
        model.named_modules().Where(m => m.module is Conv2d or Linear).Select(m => ((string, nn.Module)?)(m.name, m.module)).FirstOrDefault();

    /// <summary>e.g. "images with 3 channels (its first layer, conv1, is a Conv2d over 3 channels)"; null when unknown.</summary>
    public static string? Expected(nn.Module model) => FirstLayer(model) switch
    {
        (var name, Conv2d conv) => $"images [batch, {conv.weight!.shape[1]}, height, width] (its first layer, {name}, is a Conv2d over {conv.weight.shape[1]} channels)",
        (var name, Linear linear) => $"{linear.weight!.shape[1]:N0} numbers per image (its first layer, {name}, is a Linear over {linear.weight.shape[1]:N0} inputs)",
        _ => null,
    };

    /// <summary>
    /// One paragraph for a batch of <paramref name="shape"/> that <paramref name="model"/> could not take: what was given,
    /// what the model expects, and the likely cause (channels-last layout, grayscale against colour, image size).
    /// </summary>
    public static string Explain(nn.Module model, long[] shape, string? nativeMessage = null)
    {
        var given = $"[{string.Join(", ", shape)}]";
        var expected = Expected(model);
        var said = $"The images given are {given}" + (expected is null ? "." : $"; {model.GetType().Name} expects {expected}.");
        var cause = Cause(model, shape, nativeMessage);
        return cause is null ? said : $"{said} Likely cause: {cause}";
    }

    static string? Cause(nn.Module model, long[] shape, string? nativeMessage)
    {
        if (shape.Length == 3) return "one image without its batch dimension: add it with images.unsqueeze(0).";
        if (shape.Length != 4) return $"a classifier of images takes [batch, channels, height, width], not {shape.Length} dimensions.";
        long c = shape[1], h = shape[2], w = shape[3];
        switch (FirstLayer(model))
        {
            case (_, Conv2d conv):
                long wanted = conv.weight!.shape[1];
                if (c == wanted) break;
                if (w == wanted) return $"channels-last images [batch, height, width, {wanted}]: permute them to [batch, {wanted}, height, width] with images.permute(0, 3, 1, 2).";
                if (c == 1 && wanted == 3) return "grayscale images given to a colour model: repeat the channel (images.expand(-1, 3, -1, -1)) and use a 3-channel normalization, or build the model for 1 channel.";
                if (c == 3 && wanted == 1) return "colour images given to a grayscale model: convert them to gray, or build the model for 3 channels.";
                return $"the images have {c} channels and the model takes {wanted}: build the model for {c} channels, or bring the images to {wanted}.";
            case (_, Linear linear):
                long inputs = linear.weight!.shape[1];
                if (c * h * w != inputs)
                    return string.Create(CultureInfo.InvariantCulture, $"image size: {c} x {h} x {w} = {c * h * w:N0} numbers per image, and the model takes {inputs:N0}; resize the images to the size the model was built for, or build it for these.");
                break;
        }
        if (nativeMessage?.Contains("shapes cannot be multiplied", StringComparison.Ordinal) == true)
            return $"image size: the convolutions accept {h}x{w} images, but the first linear layer after them was sized for images of another size (CIFAR-10's are 32x32, Fashion-MNIST's 28x28); resize the images or build the model for {h}x{w}.";
        return null;
    }
}

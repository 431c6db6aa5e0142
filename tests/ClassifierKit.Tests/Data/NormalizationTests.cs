using ClassifierKit.Data;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Data;

public class NormalizationTests
{
    [Fact]
    public void Two_normalizations_with_different_values_never_share_their_factors()
    {
        using var pixels = full(new long[] { 1, 3, 2, 2 }, 255, dtype: ScalarType.Byte);
        var half = Normalization.Half();
        var other = new Normalization([0.2f, 0.2f, 0.2f], [0.4f, 0.4f, 0.4f]);
        using var a = half.Apply(pixels);          // fills half's factor cache first
        using var b = other.Apply(pixels);
        using var a2 = half.Apply(pixels);
        Assert.Equal(1f, a.max().item<float>(), 5);     // (1 - 0.5) / 0.5
        Assert.Equal(2f, b.max().item<float>(), 5);     // (1 - 0.2) / 0.4
        Assert.Equal(1f, a2.max().item<float>(), 5);
    }

    [Fact]
    public void Apply_then_Invert_gives_back_the_pixels_for_uint8_and_for_float_in_0_to_1()
    {
        var n = Normalization.Cifar10();
        using var bytes = randint(0, 256, new long[] { 4, 3, 8, 8 }, dtype: ScalarType.Int64).to(ScalarType.Byte);
        using var unit = bytes.to(ScalarType.Float32) / 255;
        using var fromBytes = n.Apply(bytes);
        using var fromFloats = n.Apply(unit);
        Assert.True(fromBytes.allclose(fromFloats, atol: 1e-5), "float input in [0, 1] must not be divided by 255 again");
        using var back = n.Invert(fromBytes);
        Assert.True(back.allclose(unit, atol: 1e-5));
    }

    [Fact]
    public void One_image_without_a_batch_dimension_is_normalized_per_channel()
    {
        using var image = full(new long[] { 3, 4, 4 }, 255, dtype: ScalarType.Byte);
        using var x = Normalization.Half().Apply(image);
        Assert.Equal(new long[] { 3, 4, 4 }, x.shape);
        Assert.Equal(1f, x.min().item<float>(), 5);
    }

    [Theory]
    [InlineData(new[] { 0.5f, 0.5f, 0.5f }, new[] { 0.5f, 0f, 0.5f }, "std[1] is 0")]
    [InlineData(new[] { 0.5f, 0.5f }, new[] { 0.5f, 0.5f, 0.5f }, "2 mean(s) and 3 std(s)")]
    [InlineData(new[] { 0.5f }, new[] { float.NaN }, "std[0] is NaN")]
    public void Invalid_means_and_stds_are_refused_with_the_fix(float[] mean, float[] std, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => new Normalization(mean, std));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_channel_mismatch_names_the_channel_count_and_the_dimension()
    {
        using var grey = zeros(new long[] { 2, 1, 28, 28 }, dtype: ScalarType.Byte);
        var e = Assert.Throws<ArgumentException>(() => Normalization.Half().Apply(grey));
        Assert.Contains("have 1 channels", e.Message);
        Assert.Contains("Normalization.Half(1)", e.Message);
        using var flat = zeros(new long[] { 32, 32 }, dtype: ScalarType.Byte);
        Assert.Contains("got shape [32, 32]", Assert.Throws<ArgumentException>(() => Normalization.Half().Apply(flat)).Message);
    }
}

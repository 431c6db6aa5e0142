using ClassifierKit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Tests.Models;

[Collection(GlobalRng.Name)]
public class ResNetStateDictTests
{
    // PyTorch's resnet18().state_dict() order: per module its parameters, then its buffers, then its children.
    // BatchNorm2d contributes weight, bias, running_mean, running_var, num_batches_tracked. Only the first block of
    // conv3_x..conv5_x has a selfconv shortcut (stride 2 and a channel change); empty Sequentials and ReLUs add nothing.
    private static readonly string[] Resnet18Keys =
    [
        "conv1.0.weight",
        "conv1.1.weight", "conv1.1.bias", "conv1.1.running_mean", "conv1.1.running_var", "conv1.1.num_batches_tracked",
        "conv2_x.0.residual_function.0.weight",
        "conv2_x.0.residual_function.1.weight", "conv2_x.0.residual_function.1.bias", "conv2_x.0.residual_function.1.running_mean", "conv2_x.0.residual_function.1.running_var", "conv2_x.0.residual_function.1.num_batches_tracked",
        "conv2_x.0.residual_function.3.weight",
        "conv2_x.0.residual_function.4.weight", "conv2_x.0.residual_function.4.bias", "conv2_x.0.residual_function.4.running_mean", "conv2_x.0.residual_function.4.running_var", "conv2_x.0.residual_function.4.num_batches_tracked",
        "conv2_x.1.residual_function.0.weight",
        "conv2_x.1.residual_function.1.weight", "conv2_x.1.residual_function.1.bias", "conv2_x.1.residual_function.1.running_mean", "conv2_x.1.residual_function.1.running_var", "conv2_x.1.residual_function.1.num_batches_tracked",
        "conv2_x.1.residual_function.3.weight",
        "conv2_x.1.residual_function.4.weight", "conv2_x.1.residual_function.4.bias", "conv2_x.1.residual_function.4.running_mean", "conv2_x.1.residual_function.4.running_var", "conv2_x.1.residual_function.4.num_batches_tracked",
        "conv3_x.0.residual_function.0.weight",
        "conv3_x.0.residual_function.1.weight", "conv3_x.0.residual_function.1.bias", "conv3_x.0.residual_function.1.running_mean", "conv3_x.0.residual_function.1.running_var", "conv3_x.0.residual_function.1.num_batches_tracked",
        "conv3_x.0.residual_function.3.weight",
        "conv3_x.0.residual_function.4.weight", "conv3_x.0.residual_function.4.bias", "conv3_x.0.residual_function.4.running_mean", "conv3_x.0.residual_function.4.running_var", "conv3_x.0.residual_function.4.num_batches_tracked",
        "conv3_x.0.selfconv.0.weight",
        "conv3_x.0.selfconv.1.weight", "conv3_x.0.selfconv.1.bias", "conv3_x.0.selfconv.1.running_mean", "conv3_x.0.selfconv.1.running_var", "conv3_x.0.selfconv.1.num_batches_tracked",
        "conv3_x.1.residual_function.0.weight",
        "conv3_x.1.residual_function.1.weight", "conv3_x.1.residual_function.1.bias", "conv3_x.1.residual_function.1.running_mean", "conv3_x.1.residual_function.1.running_var", "conv3_x.1.residual_function.1.num_batches_tracked",
        "conv3_x.1.residual_function.3.weight",
        "conv3_x.1.residual_function.4.weight", "conv3_x.1.residual_function.4.bias", "conv3_x.1.residual_function.4.running_mean", "conv3_x.1.residual_function.4.running_var", "conv3_x.1.residual_function.4.num_batches_tracked",
        "conv4_x.0.residual_function.0.weight",
        "conv4_x.0.residual_function.1.weight", "conv4_x.0.residual_function.1.bias", "conv4_x.0.residual_function.1.running_mean", "conv4_x.0.residual_function.1.running_var", "conv4_x.0.residual_function.1.num_batches_tracked",
        "conv4_x.0.residual_function.3.weight",
        "conv4_x.0.residual_function.4.weight", "conv4_x.0.residual_function.4.bias", "conv4_x.0.residual_function.4.running_mean", "conv4_x.0.residual_function.4.running_var", "conv4_x.0.residual_function.4.num_batches_tracked",
        "conv4_x.0.selfconv.0.weight",
        "conv4_x.0.selfconv.1.weight", "conv4_x.0.selfconv.1.bias", "conv4_x.0.selfconv.1.running_mean", "conv4_x.0.selfconv.1.running_var", "conv4_x.0.selfconv.1.num_batches_tracked",
        "conv4_x.1.residual_function.0.weight",
        "conv4_x.1.residual_function.1.weight", "conv4_x.1.residual_function.1.bias", "conv4_x.1.residual_function.1.running_mean", "conv4_x.1.residual_function.1.running_var", "conv4_x.1.residual_function.1.num_batches_tracked",
        "conv4_x.1.residual_function.3.weight",
        "conv4_x.1.residual_function.4.weight", "conv4_x.1.residual_function.4.bias", "conv4_x.1.residual_function.4.running_mean", "conv4_x.1.residual_function.4.running_var", "conv4_x.1.residual_function.4.num_batches_tracked",
        "conv5_x.0.residual_function.0.weight",
        "conv5_x.0.residual_function.1.weight", "conv5_x.0.residual_function.1.bias", "conv5_x.0.residual_function.1.running_mean", "conv5_x.0.residual_function.1.running_var", "conv5_x.0.residual_function.1.num_batches_tracked",
        "conv5_x.0.residual_function.3.weight",
        "conv5_x.0.residual_function.4.weight", "conv5_x.0.residual_function.4.bias", "conv5_x.0.residual_function.4.running_mean", "conv5_x.0.residual_function.4.running_var", "conv5_x.0.residual_function.4.num_batches_tracked",
        "conv5_x.0.selfconv.0.weight",
        "conv5_x.0.selfconv.1.weight", "conv5_x.0.selfconv.1.bias", "conv5_x.0.selfconv.1.running_mean", "conv5_x.0.selfconv.1.running_var", "conv5_x.0.selfconv.1.num_batches_tracked",
        "conv5_x.1.residual_function.0.weight",
        "conv5_x.1.residual_function.1.weight", "conv5_x.1.residual_function.1.bias", "conv5_x.1.residual_function.1.running_mean", "conv5_x.1.residual_function.1.running_var", "conv5_x.1.residual_function.1.num_batches_tracked",
        "conv5_x.1.residual_function.3.weight",
        "conv5_x.1.residual_function.4.weight", "conv5_x.1.residual_function.4.bias", "conv5_x.1.residual_function.4.running_mean", "conv5_x.1.residual_function.4.running_var", "conv5_x.1.residual_function.4.num_batches_tracked",
        "fc.weight", "fc.bias",
    ];

    [Fact]
    public void Resnet18_state_dict_keys_match_pytorch_in_order()
    {
        var model = ResNet.resnet18();
        Assert.Equal(122, Resnet18Keys.Length);
        Assert.Equal(Resnet18Keys, model.PyTorchOrderedKeys());
        // TorchSharp's own state_dict() has the same keys, listed in another order.
        Assert.Equal(Resnet18Keys.Order(), model.state_dict().Keys.Order());
    }

    [Fact]
    public void Stem_state_dict_keys_use_blog_names()
    {
        var keys = ResNet.resnet18(new ResNetOptions(UseStem: true)).PyTorchOrderedKeys();
        Assert.Equal(StemKeys, keys.Take(21));
        Assert.Equal(Resnet18Keys, keys.Skip(21));
        Assert.DoesNotContain(ResNet.resnet18().PyTorchOrderedKeys(), k => k.StartsWith("conv0"));
    }

    [Fact]
    public void ResNetD_shortcut_puts_the_conv_after_an_avg_pool()
    {
        var keys = ResNet.resnet18(new ResNetOptions(ResNetD: true)).PyTorchOrderedKeys();
        Assert.Contains("conv3_x.0.selfconv.1.weight", keys);
        Assert.Contains("conv3_x.0.selfconv.2.running_mean", keys);
        Assert.DoesNotContain("conv3_x.0.selfconv.0.weight", keys);
    }

    private static readonly string[] StemKeys = Enumerable.Range(0, 3)
        .SelectMany(i => new[] { "conv.weight", "conv.bias", "batchnorm.weight", "batchnorm.bias",
                                 "batchnorm.running_mean", "batchnorm.running_var", "batchnorm.num_batches_tracked" }
            .Select(k => $"conv0.{i}.{k}"))
        .ToArray();

    /// <summary>A checkpoint as the blog's class saves it (with conv0), from differently seeded weights and non-default BN stats.</summary>
    private static Dictionary<string, Tensor> BlogCheckpoint()
    {
        torch.manual_seed(123);
        var blog = ResNet.resnet18(new ResNetOptions(UseStem: true));
        using (torch.no_grad())
            foreach (var (key, t) in blog.state_dict().Where(kv => kv.Key.EndsWith("running_mean")))
                t.uniform_(-1, 1);
        return ModelTestHelpers.Snapshot(blog);
    }

    [Fact]
    public void Blog_checkpoint_loads_strictly_into_model_with_stem()
    {
        var checkpoint = BlogCheckpoint();
        torch.manual_seed(7);
        var model = ResNet.resnet18(new ResNetOptions(UseStem: true));

        var result = model.LoadBlogStateDict(checkpoint);

        Assert.Empty(result.Ignored);
        Assert.Equal(122 + 21, result.Loaded.Count);
        ModelTestHelpers.AssertSameState(checkpoint, model);
    }

    [Fact]
    public void Blog_checkpoint_loads_into_model_without_stem_ignoring_exactly_conv0()
    {
        var checkpoint = BlogCheckpoint();
        torch.manual_seed(7);
        var model = ResNet.resnet18();

        var result = model.LoadBlogStateDict(checkpoint);

        Assert.Equal(StemKeys.Order(), result.Ignored.Order());
        Assert.Contains("ignored 21 keys: conv0.0.conv.weight", result.ToString());
        ModelTestHelpers.AssertSameState(checkpoint.Where(kv => !kv.Key.StartsWith("conv0.")).ToDictionary(), model);
    }

    [Fact]
    public void Blog_checkpoint_file_loads_into_model_without_stem()
    {
        var path = Path.Combine(Path.GetTempPath(), $"blog-resnet18-{Guid.NewGuid():N}.dat");
        try
        {
            torch.manual_seed(123);
            var blog = ResNet.resnet18(new ResNetOptions(UseStem: true));
            blog.save(path);
            var model = ResNet.resnet18();

            var result = model.LoadBlogStateDict(path);

            Assert.Equal(21, result.Ignored.Count);
            ModelTestHelpers.AssertSameState(ModelTestHelpers.Snapshot(blog).Where(kv => !kv.Key.StartsWith("conv0.")).ToDictionary(), model);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Checkpoint_without_conv0_fails_for_model_with_stem_and_names_the_keys()
    {
        var checkpoint = BlogCheckpoint().Where(kv => !kv.Key.StartsWith("conv0.")).ToDictionary();
        var model = ResNet.resnet18(new ResNetOptions(UseStem: true));
        var before = ModelTestHelpers.Snapshot(model);

        var error = Assert.Throws<StateDictMismatchException>(() => model.LoadBlogStateDict(checkpoint));

        Assert.Equal(StemKeys.Order(), error.Missing.Order());
        Assert.Contains("conv0.2.batchnorm.running_var", error.Message);
        ModelTestHelpers.AssertSameState(before, model);
    }

    [Fact]
    public void Truncated_checkpoint_file_names_the_file_and_leaves_model_unchanged()
    {
        var path = Path.Combine(Path.GetTempPath(), $"truncated-resnet18-{Guid.NewGuid():N}.dat");
        try
        {
            ResNet.resnet18().save(path);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            var model = ResNet.resnet18();
            var before = ModelTestHelpers.Snapshot(model);

            var error = Assert.Throws<InvalidDataException>(() => model.LoadBlogStateDict(path));

            Assert.Contains(path, error.Message);
            Assert.Contains("truncated", error.Message);
            ModelTestHelpers.AssertSameState(before, model);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Missing_key_fails_naming_it_and_leaves_model_unchanged()
    {
        var checkpoint = BlogCheckpoint();
        checkpoint.Remove("conv4_x.1.residual_function.4.running_var");
        var model = ResNet.resnet18();
        var before = ModelTestHelpers.Snapshot(model);

        var error = Assert.Throws<StateDictMismatchException>(() => model.LoadBlogStateDict(checkpoint));

        Assert.Equal(["conv4_x.1.residual_function.4.running_var"], error.Missing);
        Assert.Empty(error.Unexpected);
        Assert.Contains("conv4_x.1.residual_function.4.running_var", error.Message);
        ModelTestHelpers.AssertSameState(before, model);
    }

    [Fact]
    public void Unexpected_key_fails_naming_it_and_leaves_model_unchanged()
    {
        var checkpoint = BlogCheckpoint();
        checkpoint["fc2.weight"] = torch.zeros(10, 512);
        checkpoint["conv0x.weight"] = torch.zeros(1);   // looks like the stem but is not under conv0.
        var model = ResNet.resnet18();
        var before = ModelTestHelpers.Snapshot(model);

        var error = Assert.Throws<StateDictMismatchException>(() => model.LoadBlogStateDict(checkpoint));

        Assert.Equal(["conv0x.weight", "fc2.weight"], error.Unexpected.Order());
        Assert.Empty(error.Missing);
        Assert.Contains("fc2.weight", error.Message);
        ModelTestHelpers.AssertSameState(before, model);
    }

    [Fact]
    public void Wrong_shape_fails_naming_the_key_and_leaves_model_unchanged()
    {
        var checkpoint = BlogCheckpoint();
        checkpoint["fc.weight"] = torch.zeros(100, 512);
        // [1] would broadcast silently through copy_, so it must be caught before copying.
        checkpoint["conv3_x.0.selfconv.1.running_mean"] = torch.ones(1);
        var model = ResNet.resnet18();
        var before = ModelTestHelpers.Snapshot(model);

        var error = Assert.Throws<StateDictMismatchException>(() => model.LoadBlogStateDict(checkpoint));

        Assert.Equal(2, error.Mismatched.Count);
        Assert.Contains("fc.weight: model Float32 [10, 512] vs stored Float32 [100, 512]", error.Message);
        Assert.Contains("conv3_x.0.selfconv.1.running_mean: model Float32 [128] vs stored Float32 [1]", error.Message);
        ModelTestHelpers.AssertSameState(before, model);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0 }, "PyTorch zip (torch.save) file")]
    [InlineData(new byte[] { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc }, "PyTorch pickle (legacy torch.save) file")]
    public void A_pytorch_file_is_named_with_the_conversion_to_use(byte[] head, string kind)
    {
        var path = Path.Combine(Path.GetTempPath(), $"model-{Guid.NewGuid():N}.pth");
        try
        {
            File.WriteAllBytes(path, [.. head, .. new byte[64]]);
            var e = Assert.Throws<InvalidDataException>(() => ResNet.resnet18().LoadBlogStateDict(path));
            Assert.Contains(kind, e.Message);
            Assert.Contains("exportsd.py", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_file_libtorch_cannot_read_gets_the_conversion_hint_without_cpp_frames()
    {
        var path = Path.Combine(Path.GetTempPath(), $"garbage-{Guid.NewGuid():N}.dat");
        try
        {
            // one entry named "w", then a tensor header whose element type code (99) libtorch does not know
            using (var w = new BinaryWriter(File.Create(path)))
            {
                w.Write((byte)1);
                w.Write("w");
                w.Write((byte)99);
                w.Write(new byte[64]);
            }
            var e = Assert.Throws<InvalidDataException>(() => StateDicts.Read(path));
            Assert.Contains("exportsd.py", e.Message);
            Assert.DoesNotContain("frame #", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(new[] { 2, 2, 0, 2 }, 64, "four stages of at least one block")]
    [InlineData(new[] { 2, 2, 2 }, 64, "four stages of at least one block")]
    [InlineData(new[] { 2, 2, 2, 2 }, 0, "BaseWidth must be at least 1")]
    public void Impossible_resnets_are_refused_with_what_is_valid(int[] blocks, int width, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new ResNet(blocks, new ResNetOptions(BaseWidth: width)));
        Assert.Contains(expected, e.Message);
    }
}

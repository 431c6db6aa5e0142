using ClassifierKit.Models;

namespace ClassifierKit.Tests.Models;

[Collection(GlobalRng.Name)]
public class ParameterCountTests
{
    [Fact]
    public void Net_has_pytorch_parameter_count()
    {
        // conv1 3*6*25+6 = 456, conv2 6*16*25+16 = 2,416, fc1 400*120+120 = 48,120,
        // fc2 120*84+84 = 10,164, fc3 84*10+10 = 850  => 62,006
        Assert.Equal(62_006, new Net().ParameterCount());
    }

    [Fact]
    public void LeNet_has_pytorch_parameter_count()
    {
        // as Net but conv1 has 1 input channel: 1*6*25+6 = 156 instead of 456 => 61,706
        Assert.Equal(61_706, new LeNet().ParameterCount());
    }

    [Fact]
    public void FashionMnistModelV0_has_pytorch_parameter_count()
    {
        // 784*10+10 = 7,850 + 10*10+10 = 110 => 7,960
        Assert.Equal(7_960, new FashionMnistModelV0(784, 10, 10).ParameterCount());
    }

    [Fact]
    public void FashionMnistModelV1_has_pytorch_parameter_count()
    {
        // the ReLU adds nothing: 7,850 + 110 => 7,960
        Assert.Equal(7_960, new FashionMnistModelV1(784, 10, 10).ParameterCount());
    }

    [Fact]
    public void FashionMnistModelV2_has_pytorch_parameter_count()
    {
        // block_1: 1*10*9+10 = 100, 10*10*9+10 = 910; block_2: 910 + 910;
        // classifier: (10*7*7)*10+10 = 4,910  => 100+910+1,820+4,910 = 7,740
        Assert.Equal(7_740, new FashionMnistModelV2(1, 10, 10).ParameterCount());
    }

    [Fact]
    public void Resnet18_has_pytorch_parameter_count()
    {
        // conv1: 3*64*9 + BN 2*64 = 1,856
        // conv2_x: 2 blocks * (2*64*64*9 + 2*128) = 147,968
        // conv3_x: (64*128*9 + 128*128*9 + 512 + shortcut 64*128 + 256) + (2*128*128*9 + 512) = 230,144 + 295,424 = 525,568
        // conv4_x: (128*256*9 + 256*256*9 + 1,024 + 128*256 + 512) + (2*256*256*9 + 1,024) = 919,040 + 1,180,672 = 2,099,712
        // conv5_x: (256*512*9 + 512*512*9 + 2,048 + 256*512 + 1,024) + (2*512*512*9 + 2,048) = 3,673,088 + 4,720,640 = 8,393,728
        // fc: 512*10+10 = 5,130                                  => 11,173,962
        Assert.Equal(11_173_962, ResNet.resnet18().ParameterCount());
    }

    [Fact]
    public void Resnet34_has_pytorch_parameter_count()
    {
        // 1,856 + 3*73,984 + (230,144 + 3*295,424) + (919,040 + 5*1,180,672) + (3,673,088 + 2*4,720,640) + 5,130 = 21,282,122
        Assert.Equal(21_282_122, ResNet.resnet34().ParameterCount());
    }

    [Fact]
    public void Stem_adds_exactly_28896_parameters()
    {
        // BaseConv convs keep their bias: (3*32*9+32 + 64) + (32*32*9+32 + 64) + (32*64*9+64 + 128) = 960 + 9,312 + 18,624
        Assert.Equal(28_896, ResNetStem.Build(3, 32, 32, 64).ParameterCount());
        Assert.Equal(11_173_962 + 28_896, ResNet.resnet18(new ResNetOptions(UseStem: true)).ParameterCount());
    }

    [Fact]
    public void ResNetD_shortcut_adds_no_parameters() =>
        Assert.Equal(11_173_962, ResNet.resnet18(new ResNetOptions(ResNetD: true)).ParameterCount());

    [Fact]
    public void ResNet9_has_expected_parameter_count()
    {
        // prep 3*64*9 + 128 = 1,856; layer1 64*128*9 + 256 = 73,984; res1 2*(128*128*9 + 256) = 295,424;
        // layer2 128*256*9 + 512 = 295,424; layer3 256*512*9 + 1,024 = 1,180,672; res3 2*(512*512*9 + 1,024) = 4,720,640;
        // fc 512*10 (no bias) = 5,120                                          => 6,573,120
        Assert.Equal(6_573_120, new ResNet9().ParameterCount());
        // Width(16): 464 + 4,672 + 18,560 + 18,560 + 73,984 + 295,424 + 1,280 = 412,944
        Assert.Equal(412_944, new ResNet9(ResNet9Options.Width(16)).ParameterCount());
    }

    [Theory]
    [InlineData(64, 11_173_962)]
    [InlineData(32, 2_797_610)]
    [InlineData(16, 701_466)]
    public void Resnet18_parameter_count_follows_its_base_width(int width, long expected)
    {
        // Counted by hand per base width w: conv1 27w + BN 2w; stages 36w² + 8w, 128w² + 20w, 512w² + 40w, 2,048w² + 80w
        // (3x3 convs, BNs and the 1x1 shortcuts of the three downsampling blocks); fc 80w + 10. At 64 it is PyTorch's count.
        var model = ResNet.resnet18(new ResNetOptions(BaseWidth: width));
        Assert.Equal(expected, model.ParameterCount());
        Assert.Equal(ResNet.resnet18().state_dict().Keys, model.state_dict().Keys);
    }
}

using ClassifierKit.Platform;

namespace ClassifierKit.Tests.Platform;

public class TorchOperationExceptionTests
{
    [Fact]
    public void The_summary_keeps_libtorchs_message_and_drops_its_cpp_frames()
    {
        const string native = "mat1 and mat2 shapes cannot be multiplied (4x400 and 300x120)\n" +
                              "Exception raised from meta at /pytorch/aten/src/ATen/native/LinearAlgebra.cpp:193 (most recent call first):\n" +
                              "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x98 (0x7f in libc10.so)\n" +
                              "frame #1: <unknown function> + 0x1a (0x7f in libtorch_cpu.so)\n";
        Assert.Equal("mat1 and mat2 shapes cannot be multiplied (4x400 and 300x120)", TorchOperationException.Summarize(native));
    }
}

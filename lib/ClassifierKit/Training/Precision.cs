using ClassifierKit.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>The arithmetic of the forward and backward passes. The optimizer's weights and state and the BatchNorm layers
/// stay float32 in every case ("master weights"); only convolutions and linear layers run in the lower precision.</summary>
public enum Precision
{
    /// <summary>Everything in float32 (the default, and the blog's setting).</summary>
    Float32,
    /// <summary>Convolutions and matrix products in bfloat16 through libtorch's autocast (PyTorch's <c>torch.autocast(device,
    /// torch.bfloat16)</c>); bfloat16 has float32's exponent range, so no loss scaling is needed. Pays only on a CPU with
    /// native bfloat16 (see <see cref="PrecisionChoice"/>); the benchmark's bfloat16 rows say how much on yours.</summary>
    BFloat16,
    /// <summary>Convolutions and matrix products in float16 through libtorch's autocast, with dynamic loss scaling (PyTorch's
    /// GradScaler recipe), for CUDA GPUs (the blog's <c>fp16</c> argument); on the CPU use BFloat16.</summary>
    Float16,
}

/// <summary>
/// The arithmetic a recipe uses when it is not told: bfloat16 where the CPU computes it natively (AVX512-BF16 or AMX tiles),
/// float32 where it does not, since libtorch then emulates bfloat16 and trains slower than in float32. Decided by what the
/// CPU reports (<see cref="Cpu.NativeBFloat16"/>), never by its name; a CUDA device always has bfloat16 autocast.
/// </summary>
public static class PrecisionChoice
{
    /// <summary>bfloat16 on a CPU with native bfloat16, float32 on one without.</summary>
    public static Precision ForThisCpu() => Cpu.NativeBFloat16 ? Precision.BFloat16 : Precision.Float32;

    /// <summary>Why <see cref="ForThisCpu"/> chose what it chose, for a run's output, e.g. "bfloat16: this CPU computes it natively (AVX512-BF16)".</summary>
    public static string Reason() => Cpu.NativeBFloat16
        ? $"bfloat16: this CPU computes it natively ({(Cpu.AmxBf16 ? "AMX" : "AVX512-BF16")})"
        : "float32: this CPU has no native bfloat16 (no AVX512-BF16, no AMX), and emulated bfloat16 is slower";
}

/// <summary>
/// How one training step runs for a <see cref="Precision"/>: the autocast region around the forward pass (as PyTorch's AMP
/// recipe, backward runs outside it and the gradients arrive in float32 on the float32 weights) and, for float16, the loss
/// scale and the skipped steps of PyTorch's GradScaler.
/// </summary>
/// <remarks>
/// Measured on this project's CPU (ResNet-18, batch 128, 2 threads): autocast ran at 1.76x float32's speed (1.96x in the
/// channels-last layout); bfloat16 working copies of the weights with float32 masters ("O2") ran at the same speed, so the
/// simpler and standard autocast won.
/// </remarks>
internal sealed class MixedPrecision
{
    readonly Precision _precision;
    readonly DeviceType _device;
    double _scale = 65536;      // GradScaler's init_scale
    int _goodSteps;             // steps since the scale last changed
    const double GrowthFactor = 2, BackoffFactor = 0.5;
    const int GrowthInterval = 2000;

    public MixedPrecision(Precision precision, Device device)
    {
        _precision = precision;
        _device = device.type;
        if (precision != Precision.Float32 && !Autocast.Available)
            throw new PlatformNotSupportedException($"Precision.{precision} needs libtorch's autocast switch, which ClassifierKit reaches on Linux x64 only; use Precision.Float32.");
    }

    /// <summary>The current loss scale (1 unless float16).</summary>
    public double LossScale => _precision == Precision.Float16 ? _scale : 1;

    /// <summary>Float32 logits of <paramref name="model"/> on <paramref name="images"/>, the heavy ops in the run's precision.</summary>
    public Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        if (_precision == Precision.Float32) return model.forward(images);
        using (Autocast.Region(_device, _precision == Precision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float16))
        using (ThinConvolutionsInFloat32(model))
            // The loss is computed outside the region, in float32, as autocast's own op lists do for losses.
            return model.forward(images).to(ScalarType.Float32);
    }

    /// <summary>
    /// A convolution that reads this many input channels (per group) or fewer, and whose weight is being trained, runs in
    /// float32, outside autocast: oneDNN 3 has no fast bfloat16 kernel for the weight gradient of a layer on the raw image
    /// (3 colours, or 1 grey), and the layer does too little arithmetic per output for the lower precision to save anything.
    /// Measured on an AMD EPYC with AVX512-BF16, 2 threads: in Net @128's bfloat16 step the 3-channel 5x5 convolution's
    /// weight gradient took 6.9 ms of 13 ms on oneDNN's <c>gemm:jit</c> fallback (ONEDNN_VERBOSE), and with this rule the
    /// step ran 1.9 times as fast. Where the weight is frozen (airbench's whitening layer) or no gradient is taken
    /// (evaluation), the layer stays in bfloat16: there, float32 only added memory traffic (airbench, whose whitening layer
    /// is frozen, took 112 s for 3 epochs against 96 s). PyTorch code does the same with a nested
    /// <c>torch.autocast(device, enabled=False)</c> around such a layer. On the CPU only, where it was measured; a GPU's
    /// autocast keeps its own choice.
    /// </summary>
    public const int Float32InputChannels = 4;

    // Hooks on the model's thin convolutions for one forward pass: autocast off and a float32 input for each (the hooks go when
    // the pass ends, so the model is left as it came); null when no layer qualifies. The thin convolutions are found once per
    // model. A convolution is a leaf module, so at most one is running at a time: one field holds its suspension.
    IDisposable? ThinConvolutionsInFloat32(nn.Module<Tensor, Tensor> model)
    {
        if (!ReferenceEquals(model, _thinOf))
        {
            _thin = model.modules().OfType<Conv2d>().Where(c => c.in_channels / c.groups <= Float32InputChannels).ToArray();
            _thinOf = model;
        }
        if (_thin.Length == 0 || _device != DeviceType.CPU || !is_grad_enabled()) return null;
        List<Action>? removers = null;
        foreach (var conv in _thin)
        {
            if (conv.weight is not { requires_grad: true }) continue;
            removers ??= new List<Action>(2 * _thin.Length);
            removers.Add(conv.register_forward_pre_hook((_, input) =>
            {
                _suspended = Autocast.Suspended(_device);
                return input.dtype == ScalarType.Float32 ? input : input.to(ScalarType.Float32);
            }).remove);
            removers.Add(conv.register_forward_hook((_, _, output) =>
            {
                ResumeAutocast();
                return output;
            }).remove);
        }
        return removers is null ? null : new Hooks(this, removers);
    }

    nn.Module<Tensor, Tensor>? _thinOf;
    Conv2d[] _thin = [];
    IDisposable? _suspended;   // autocast, switched off while a thin convolution runs

    void ResumeAutocast()
    {
        _suspended?.Dispose();
        _suspended = null;
    }

    sealed class Hooks(MixedPrecision owner, List<Action> removers) : IDisposable
    {
        public void Dispose()
        {
            // A forward pass that threw inside a thin convolution leaves autocast suspended: resume it before the region ends.
            owner.ResumeAutocast();
            foreach (var remove in removers) remove();
        }
    }

    /// <summary>backward() of <paramref name="loss"/> divided by <paramref name="accumulation"/> (and multiplied by the loss scale).</summary>
    public void Backward(Tensor loss, int accumulation)
    {
        double factor = LossScale / accumulation;
        if (factor == 1) loss.backward();
        else (loss * factor).backward();
    }

    /// <summary>One optimizer step; false when float16 gradients overflowed and the step was skipped (the scale then halves).</summary>
    public bool Step(optim.Optimizer optimizer)
    {
        if (_precision != Precision.Float16)
        {
            optimizer.step();
            return true;
        }
        using var scope = NewDisposeScope();
        var grads = optimizer.parameters().Select(p => p.grad).OfType<Tensor>().ToList();
        foreach (var g in grads) g.mul_(1 / _scale);
        // One host read per step, as GradScaler's own step does: whether to apply the step is decided on the host.
        bool finite = grads.Count == 0 || stack(grads.Select(g => g.isfinite().all()).ToArray()).all().item<bool>();
        if (finite)
        {
            optimizer.step();
            if (++_goodSteps >= GrowthInterval) { _scale *= GrowthFactor; _goodSteps = 0; }
        }
        else
        {
            _scale *= BackoffFactor;
            _goodSteps = 0;
        }
        return finite;
    }
}

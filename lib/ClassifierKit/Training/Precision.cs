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
    /// <summary>Convolutions and linear layers in bfloat16, forward and backward, on bfloat16 copies of their weights that are
    /// refreshed from the float32 masters after every step (apex's "O2"). bfloat16 has float32's exponent range, so no loss
    /// scaling is needed. About twice the speed on CPUs with AVX-512 BF16 or AMX and on recent GPUs.</summary>
    BFloat16,
    /// <summary>Convolutions and matrix products in float16 through libtorch's autocast, with dynamic loss scaling (PyTorch's
    /// GradScaler recipe), for CUDA GPUs (the blog's <c>fp16</c> argument); on the CPU use BFloat16.</summary>
    Float16,
}

/// <summary>
/// How one training step runs for a <see cref="Precision"/>: the low-precision weights and input around the forward pass,
/// the loss scale and the gradients' way back to the float32 masters before the optimizer steps.
/// </summary>
internal sealed class MixedPrecision
{
    readonly Precision _precision;
    readonly DeviceType _device;
    double _scale = 65536;      // GradScaler's init_scale
    int _goodSteps;             // steps since the scale last changed
    const double GrowthFactor = 2, BackoffFactor = 0.5;
    const int GrowthInterval = 2000;
    LowPrecisionWeights? _weights;

    public MixedPrecision(Precision precision, Device device)
    {
        _precision = precision;
        _device = device.type;
        if (precision == Precision.Float16 && !Autocast.Available)
            throw new PlatformNotSupportedException("Precision.Float16 needs libtorch's autocast switch, which ClassifierKit reaches on Linux x64 only; use Float32 or BFloat16.");
    }

    /// <summary>The current loss scale (1 unless float16).</summary>
    public double LossScale => _precision == Precision.Float16 ? _scale : 1;

    /// <summary>Puts bfloat16 working copies of the weights into <paramref name="model"/> until the returned scope ends (BFloat16 only).</summary>
    public IDisposable? Begin(nn.Module model)
    {
        if (_precision != Precision.BFloat16) return null;
        _weights = new LowPrecisionWeights(model, ScalarType.BFloat16);
        return _weights;
    }

    /// <summary>Float32 logits of <paramref name="model"/> on <paramref name="images"/>, the heavy ops in the run's precision.</summary>
    public Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        switch (_precision)
        {
            case Precision.BFloat16 when _weights is not null:
                return model.forward(images.to(ScalarType.BFloat16)).to(ScalarType.Float32);
            case Precision.BFloat16:
            case Precision.Float16:
                // Evaluation (no working copies): autocast casts per op, which is cheap without a backward pass.
                using (Autocast.Region(_device, _precision == Precision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float16))
                    return model.forward(images).to(ScalarType.Float32);
            default:
                return model.forward(images);
        }
    }

    /// <summary>backward() of <paramref name="loss"/> divided by <paramref name="accumulation"/> (and multiplied by the loss scale).</summary>
    public void Backward(Tensor loss, int accumulation)
    {
        double factor = LossScale / accumulation;
        if (factor == 1) loss.backward();
        else (loss * factor).backward();
        _weights?.GradientsToMasters();
    }

    /// <summary>One optimizer step; false when float16 gradients overflowed and the step was skipped (the scale then halves).</summary>
    public bool Step(optim.Optimizer optimizer)
    {
        if (_precision != Precision.Float16)
        {
            optimizer.step();
            _weights?.RefreshFromMasters();
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

/// <summary>
/// Low-precision working copies of a model's convolution and linear weights ("O2"): the modules hold the copies while the
/// scope lasts, the optimizer keeps the float32 originals (the masters). After backward the copies' gradients are added to the
/// masters' in float32; after the optimizer's step the copies are refreshed from the masters. Disposing puts the masters back,
/// so outside a training run the model is exactly its float32 self. BatchNorm layers stay float32 (libtorch's CPU and CUDA
/// batch norm take low-precision input with float32 parameters and statistics).
/// </summary>
internal sealed class LowPrecisionWeights : IDisposable
{
    readonly record struct Swap(nn.Module Owner, bool IsWeight, Parameter Master, Parameter Copy);
    readonly List<Swap> _swaps = new();

    public LowPrecisionWeights(nn.Module model, ScalarType dtype)
    {
        using var noGrad = no_grad();
        foreach (var m in model.modules().Prepend(model))
        {
            switch (m)
            {
                case Convolution conv:
                    Put(conv, true, conv.weight, dtype);
                    Put(conv, false, conv.bias, dtype);
                    break;
                case Linear linear:
                    Put(linear, true, linear.weight, dtype);
                    Put(linear, false, linear.bias, dtype);
                    break;
            }
        }
    }

    void Put(nn.Module owner, bool isWeight, Parameter? master, ScalarType dtype)
    {
        if (master is null) return;
        var copy = new Parameter(master.detach().to(dtype), master.requires_grad);
        Set(owner, isWeight, copy);
        _swaps.Add(new Swap(owner, isWeight, master, copy));
    }

    static void Set(nn.Module owner, bool isWeight, Parameter p)
    {
        switch (owner)
        {
            case Convolution c when isWeight: c.weight = p; break;
            case Convolution c: c.bias = p; break;
            case Linear l when isWeight: l.weight = p; break;
            case Linear l: l.bias = p; break;
        }
    }

    /// <summary>Adds each copy's gradient, in float32, to its master's and clears the copy's.</summary>
    public void GradientsToMasters()
    {
        using var noGrad = no_grad();
        foreach (var s in _swaps)
        {
            if (s.Copy.grad is not { } g) continue;
            if (s.Master.grad is { } mg) mg.add_(g);
            else s.Master.grad = g.to(ScalarType.Float32);
            s.Copy.grad = null;
        }
    }

    /// <summary>Copies the masters' new values into the working copies.</summary>
    public void RefreshFromMasters()
    {
        using var noGrad = no_grad();
        foreach (var s in _swaps) s.Copy.copy_(s.Master);
    }

    public void Dispose()
    {
        foreach (var s in _swaps)
        {
            Set(s.Owner, s.IsWeight, s.Master);
            s.Copy.Dispose();
        }
        _swaps.Clear();
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Training;

/// <summary>
/// Every module's train/eval flag, put back as it was when the scope ends. <c>model.train(wasTraining)</c> sets one flag on
/// the whole tree and would switch a frozen, eval-mode sub-module (a pretrained feature extractor, say) to train mode.
/// </summary>
internal sealed class ModuleModes : IDisposable
{
    readonly List<(nn.Module Module, bool Training)> _modes;

    // TorchSharp's modules() lists the descendants, parents before children, without the module itself.
    ModuleModes(nn.Module model) =>
        _modes = model.modules().Where(m => !ReferenceEquals(m, model)).Prepend(model).Select(m => (m, m.training)).ToList();

    /// <summary>Remembers the flags of <paramref name="model"/> and all its sub-modules.</summary>
    public static ModuleModes Keep(nn.Module model) => new(model);

    // modules() lists parents before their children, and train(bool) recurses into children: setting each in that order
    // leaves every module as it was, whatever a parent's call did to the modules below it.
    public void Dispose()
    {
        foreach (var (module, training) in _modes)
            if (module.training != training) module.train(training);
    }
}

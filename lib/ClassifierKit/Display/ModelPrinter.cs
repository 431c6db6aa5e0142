using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ClassifierKit.Display;

/// <summary>
/// A module's layer tree as PyTorch's <c>print(net)</c> shows it (<c>(conv1): Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))</c>),
/// with each layer's parameter count on the right and the total at the end, so a notebook can set the two side by side.
/// </summary>
public static class ModelPrinter
{
    /// <summary>The printout; <paramref name="counts"/> adds the parameter counts.</summary>
    public static string Print(nn.Module model, bool counts = true)
    {
        var lines = new List<(string Text, long? Parameters)>();
        Walk(model, null, 0, lines);
        int width = lines.Max(l => l.Text.Length);
        var sb = new StringBuilder();
        foreach (var (text, parameters) in lines)
            sb.Append(text).Append(counts && parameters is { } p ? new string(' ', width - text.Length + 3) + p.ToString("N0", CultureInfo.InvariantCulture) : "").Append('\n');
        if (counts)
        {
            long total = model.parameters().Sum(p => p.numel()), trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"{total:N0} parameters{(trainable == total ? "" : $" ({trainable:N0} trainable)")}"));
        }
        return sb.ToString().TrimEnd('\n');
    }

    static void Walk(nn.Module module, string? name, int depth, List<(string, long?)> lines)
    {
        var indent = new string(' ', 2 * depth);
        var prefix = name is null ? "" : $"({name}): ";
        var children = module.named_children().ToList();
        long own = module.named_parameters(recurse: false).Sum(p => p.parameter.numel());
        if (children.Count == 0)
        {
            long parameters = module.parameters().Sum(p => p.numel());
            lines.Add((indent + prefix + Describe(module), parameters > 0 ? parameters : null));
            return;
        }
        lines.Add((indent + prefix + module.GetType().Name + "(", own > 0 ? own : null));
        foreach (var (childName, child) in children) Walk(child, childName, depth + 1, lines);
        lines.Add((indent + ")", null));
    }

    /// <summary>One leaf layer in PyTorch's words, e.g. <c>Linear(in_features=400, out_features=120, bias=True)</c>.</summary>
    public static string Describe(nn.Module layer) => layer switch
    {
        Conv2d c => $"Conv2d({c.in_channels}, {c.out_channels}, kernel_size={Tuple(c.kernel_size)}, stride={Tuple(c.stride)}" +
                    ((c.padding ?? []).Any(p => p != 0) ? $", padding={Tuple(c.padding!)}" : "") +
                    ((c.dilation ?? []).Any(d => d != 1) ? $", dilation={Tuple(c.dilation!)}" : "") +
                    (c.groups != 1 ? $", groups={c.groups}" : "") + (c.bias is null ? ", bias=False" : "") + ")",
        Linear l => $"Linear(in_features={l.in_features}, out_features={l.out_features}, bias={(l.bias is null ? "False" : "True")})",
        BatchNorm2d b => $"BatchNorm2d({b.num_features}, eps={Number(b.eps)}, momentum={(b.momentum is { } m ? Number(m) : "None")}, affine={Bool(b.affine)}, track_running_stats={Bool(b.track_running_stats)})",
        MaxPool2d p => $"MaxPool2d(kernel_size={Scalar(p.kernel_size)}, stride={Scalar(p.stride ?? p.kernel_size)}, padding={Scalar(p.padding ?? [0])}, dilation={Scalar(p.dilation ?? [1])}, ceil_mode={Bool(p.ceil_mode)})",
        AvgPool2d p => $"AvgPool2d(kernel_size={Scalar(p.kernel_size)}, stride={Scalar(p.stride ?? p.kernel_size)}, padding={Scalar(p.padding ?? [0])})",
        AdaptiveAvgPool2d p => $"AdaptiveAvgPool2d(output_size={Tuple(p.output_size)})",
        AdaptiveMaxPool2d p => $"AdaptiveMaxPool2d(output_size={Tuple(p.output_size)})",
        ReLU r => r.inplace ? "ReLU(inplace=True)" : "ReLU()",
        Flatten f => $"Flatten(start_dim={f.start_dim}, end_dim={f.end_dim})",
        Dropout d => $"Dropout(p={Number(d.p)}, inplace={Bool(d.inplace)})",
        Sequential => "Sequential()",
        _ => layer.GetType().Name + "()",
    };

    static string Tuple(long[] values) => values.Length == 1 ? $"({values[0]}, {values[0]})" : "(" + string.Join(", ", values) + ")";
    static string Scalar(long[] values) => values.Distinct().Count() == 1 ? values[0].ToString(CultureInfo.InvariantCulture) : Tuple(values);
    // As Python prints a float: 1e-05, 0.1.
    static string Number(double v) => v.ToString("G6", CultureInfo.InvariantCulture).Replace("E", "e");
    static string Bool(bool b) => b ? "True" : "False";
}

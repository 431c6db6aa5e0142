using System.Net;
using ClassifierKit.Display;
using Microsoft.DotNet.Interactive.Formatting;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassifierKit.Interactive;

/// <summary>Registers .NET Interactive formatters for what the notebooks show, each with every MIME type it can offer.</summary>
internal static class Formatters
{
    const string Plotly = "application/vnd.plotly.v1+json", Svg = "image/svg+xml", Html = "text/html", Text = "text/plain";

    /// <summary>
    /// What a chart is sent as. VS Code's notebook renderers draw a plotly figure interactively, offline, and draw SVG as is.
    /// Jupyter's protocol in this kernel passes every "+json" type but application/json as a string, which Jupyter's plotly
    /// renderers cannot read; and nbconvert 6's HTML export strips the elements out of inline SVG (its sanitizer allows no SVG
    /// tags), leaving blank charts. So for Jupyter the picture goes out as HTML, an img of the SVG, which Jupyter, JupyterLab
    /// and every HTML export draw, offline.
    /// </summary>
    public static readonly string[] ChartMimeTypes = IsJupyterKernel() ? [Html, Text] : [Plotly, Svg, Text];

    static bool IsJupyterKernel() => Environment.GetCommandLineArgs().Any(a => a == "jupyter");

    public static void Register()
    {
        // Every MIME type listed as preferred must have a formatter for the type: a listed type without one crashes the
        // kernel (infinite recursion in Formatter.FindPreferredFormatter, dotnet-interactive 1.0.712001).
        Formatter.Register<Chart>((chart, w) => w.Write(chart.ToPlotlyJson()), Plotly);
        Formatter.Register<Chart>((chart, w) => w.Write(chart.ToSvg()), Svg);
        Formatter.Register<Chart>((chart, w) => w.Write(chart.ToHtmlImage()), Html);
        Formatter.Register<Chart>((chart, w) => w.Write(chart.ToString()), Text);
        Formatter.SetPreferredMimeTypesFor(typeof(Chart), ChartMimeTypes);

        Both<ImageGrid>(g => g.ToHtml(), g => g.ToString());
        Both<ImageGallery>(g => g.ToHtml(), g => g.ToString());
        Both<Table>(t => t.ToHtml(), t => t.ToString());
        Both<Diagram>(d => d.ToHtml(), d => d.ToString());
        Both<nn.Module>(m => Pre(ModelPrinter.Print(m)), m => ModelPrinter.Print(m));
        Both<Tensor>(t => Pre(Describe(t)), Describe);
    }

    static void Both<T>(Func<T, string> html, Func<T, string> text)
    {
        Formatter.Register<T>((value, w) => w.Write(html(value)), Html);
        Formatter.Register<T>((value, w) => w.Write(text(value)), Text);
        Formatter.SetPreferredMimeTypesFor(typeof(T), Html, Text);
    }

    static string Pre(string text) => $"<pre style=\"margin:0\">{WebUtility.HtmlEncode(text)}</pre>";

    /// <summary>A tensor the way PyTorch prints one: its values (numpy style, long ones elided) and its shape, type and device.</summary>
    internal static string Describe(Tensor t)
    {
        if (t.IsInvalid) return "tensor (disposed)";
        var meta = $"shape [{string.Join(", ", t.shape)}], {t.dtype}, {t.device}{(t.requires_grad ? ", requires_grad" : "")}";
        if (t.numel() > 1000) return $"tensor of {t.numel():N0} elements: {meta}";
        return t.ToString(TorchSharp.TensorStringStyle.Numpy) + "\n" + meta;
    }
}

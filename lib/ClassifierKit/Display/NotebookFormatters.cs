namespace ClassifierKit.Display;

// .NET Interactive finds formatters through an attribute it matches by NAME, so the library renders
// inline in a notebook without referencing any .NET Interactive package (and keeps working without one).
[AttributeUsage(AttributeTargets.Class)]
internal sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;
    public string[] PreferredMimeTypes { get; set; } = ["text/html"];
}

/// <summary>Something that renders itself as an HTML fragment in a notebook.</summary>
public interface IHtmlDisplayable
{
    /// <summary>A self-contained HTML fragment.</summary>
    string ToHtml();
}

internal sealed class HtmlFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new HtmlFormatter();
    }

    internal sealed class HtmlFormatter
    {
        public string MimeType => "text/html";

        public bool Format(object instance, TextWriter writer)
        {
            if (instance is not IHtmlDisplayable displayable) return false;
            writer.Write(displayable.ToHtml());
            return true;
        }
    }
}

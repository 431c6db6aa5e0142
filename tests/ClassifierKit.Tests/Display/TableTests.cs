using ClassifierKit.Display;

namespace ClassifierKit.Tests.Display;

public class TableTests
{
    [Fact]
    public void Anonymous_rows_become_columns_with_readable_numbers()
    {
        var table = Table.Of(new[] { new { Class = "cat", Correct = 412L, Accuracy = 0.41234 }, new { Class = "ship", Correct = 1000L, Accuracy = 0.9 } });
        Assert.Equal(["Class", "Correct", "Accuracy"], table.Columns);
        Assert.Equal(["ship", "1,000", "0.9"], table.Rows[1]);
        Assert.Equal("0.4123", table.Rows[0][2]);
        var html = table.ToHtml();
        Assert.Equal(3, html.Split("<th style").Length - 1);
        Assert.Equal(2, html.Split("<tr>").Length - 2);
        Assert.Contains("text-align:right\">1,000</td>", html);
    }

    [Fact]
    public void Plain_text_aligns_numbers_right_and_text_left()
    {
        var text = Table.Of(new[] { new { Model = "Net", Parameters = 62006 }, new { Model = "ResNet-18", Parameters = 11173962 } }).ToString().Split('\n');
        Assert.Equal("Model      Parameters", text[0]);
        Assert.Equal("Net            62,006", text[2]);
        Assert.Equal("ResNet-18  11,173,962", text[3]);
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_cells_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Table(["a", "b"], [["1", "2"], ["3"]]));
        Assert.Contains("row 1 has 1 cells for 2 columns", e.Message);
    }
}

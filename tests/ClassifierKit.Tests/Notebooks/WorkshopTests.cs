using System.Text.Json;
using System.Text.RegularExpressions;
using ClassifierKit.Platform;

namespace ClassifierKit.Tests.Notebooks;

/// <summary>
/// Every notebook is a workshop: it credits its sources, and ends with a recap, exercises whose check cells say at once
/// whether a learner's code is right, and a questionnaire; the solutions are kept apart, in notebooks/solutions/.
/// This class reads the files; <see cref="WorkshopRunTests"/> runs the checks.
/// </summary>
public partial class WorkshopTests
{
    /// <summary>One notebook's workshop as its files hold it.</summary>
    public sealed record Workshop(string Notebook, IReadOnlyList<string> Markdown, IReadOnlyList<string> Code, string Solutions)
    {
        public string Number => Notebook[..2];

        public static Workshop Read(string notebook)
        {
            var repo = Locations.RequireRepositoryRoot();
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(repo, "notebooks", notebook + ".ipynb")));
            var cells = doc.RootElement.GetProperty("cells").EnumerateArray()
                .Select(c => (Kind: c.GetProperty("cell_type").GetString(), Text: string.Concat(c.GetProperty("source").EnumerateArray().Select(l => l.GetString()))))
                .ToList();
            var solutions = Path.Combine(repo, "notebooks", "solutions", notebook + ".md");
            return new Workshop(notebook, cells.Select(c => c.Kind == "markdown" ? c.Text : "").ToList(),
                cells.Select(c => c.Kind == "code" ? c.Text : "").ToList(), File.Exists(solutions) ? File.ReadAllText(solutions) : "");
        }

        /// <summary>The index of the first markdown cell that starts with this heading, or -1.</summary>
        public int Heading(string heading) => Markdown.ToList().FindIndex(m => m.StartsWith(heading + "\n", StringComparison.Ordinal) || m == heading);

        /// <summary>Exercise ids announced in the markdown ("**Exercise 02.3 · ...**"), in order.</summary>
        public IReadOnlyList<string> Exercises => Markdown.SelectMany(m => Announced().Matches(m).Select(x => x.Groups[1].Value)).ToList();

        /// <summary>The titles of those exercises ("Experiment: one thread" for "**Exercise 05.5 · Experiment: one thread.**"), in order.</summary>
        public IReadOnlyList<string> ExerciseTitles => Markdown.SelectMany(m => AnnouncedTitle().Matches(m).Select(x => x.Groups[1].Value.TrimEnd('.'))).ToList();

        /// <summary>The stub cells (first line "// Exercise NN.K: ...") by cell index.</summary>
        public IReadOnlyList<(int Cell, string Id, string FirstLine)> Stubs => Code
            .Select((c, i) => (i, m: Stub().Match(c)))
            .Where(x => x.m.Success).Select(x => (x.i, x.m.Groups[1].Value, x.m.Value)).ToList();

        /// <summary>The cells that check an exercise, by exercise id.</summary>
        public IReadOnlyDictionary<string, int> Checks => Code
            .Select((c, i) => (i, m: CheckCall().Match(c)))
            .Where(x => x.m.Success).ToDictionary(x => x.m.Groups[1].Value, x => x.i);

        /// <summary>The numbered items of the markdown cell under "## Questions".</summary>
        public int Questions => Heading("## Questions") is var q and >= 0 ? NumberedItem().Matches(Markdown[q]).Count : 0;
    }

    [GeneratedRegex(@"\*\*Exercise (\d\d\.\d+) ·")]
    private static partial Regex Announced();
    [GeneratedRegex(@"\*\*Exercise \d\d\.\d+ · (.+?)\*\*")]
    private static partial Regex AnnouncedTitle();
    [GeneratedRegex(@"\A// Exercise (\d\d\.\d+): .*")]
    private static partial Regex Stub();
    [GeneratedRegex(@"Exercise\.(?:Check|Predict)\(""(\d\d\.\d+)""")]
    private static partial Regex CheckCall();
    [GeneratedRegex(@"^\d+\. \S", RegexOptions.Multiline)]
    private static partial Regex NumberedItem();
    [GeneratedRegex(@"\brun\.(Add|Save)\(")]
    private static partial Regex RecordCall();

    public static TheoryData<string> Notebooks() => new(NotebookRuns.All);

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Credits_its_sources_with_title_and_link_at_the_top(string notebook)
    {
        var top = Workshop.Read(notebook).Markdown[0];
        Assert.Matches(@"\*\*Sources?\.\*\*[^\n]*<https?://", top);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Ends_with_a_recap_exercises_and_questions_before_its_sources_beside_the_run(string notebook)
    {
        var w = Workshop.Read(notebook);
        var (recap, exercises, questions) = (w.Heading("## Recap"), w.Heading("## Exercises"), w.Heading("## Questions"));
        Assert.True(recap >= 0 && exercises > recap && questions > exercises, $"{notebook}: needs '## Recap', '## Exercises' and '## Questions', in that order (cells {recap}, {exercises}, {questions})");
        var table = w.Code.ToList().FindLastIndex(c => c.Contains("SourceVsRun.Table("));
        Assert.True(table > questions, $"{notebook}: the sources-beside-this-run table (cell {table}) must come after the questions (cell {questions})");
        Assert.InRange(w.Questions, 8, 15);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Every_exercise_is_numbered_and_every_stub_has_a_check_right_after_it(string notebook)
    {
        var w = Workshop.Read(notebook);
        Assert.InRange(w.Exercises.Count, 3, 6);
        Assert.Equal(Enumerable.Range(1, w.Exercises.Count).Select(k => $"{w.Number}.{k}"), w.Exercises);
        Assert.True(w.Stubs.Count >= 2, $"{notebook}: at least two exercises to write code for (stub + check), found {w.Stubs.Count}");
        foreach (var (cell, id, _) in w.Stubs)
        {
            Assert.Contains(id, w.Exercises);
            var next = w.Code.Select((c, i) => (c, i)).First(x => x.i > cell && x.c != "").i;
            Assert.True(w.Checks.TryGetValue(id, out var check) && check == next, $"{notebook}: the code cell after exercise {id}'s stub (cell {cell}) must check it");
        }
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void The_run_record_is_written_only_after_the_lessons(string notebook)
    {
        // Teaching cells hand results to the library (AddTrainingRun, TimedRuns) or leave them in variables; the numbers
        // are added to the record, and the record saved, in the closing cells, after the questions.
        var w = Workshop.Read(notebook);
        int questions = w.Heading("## Questions");
        if (questions < 0) questions = w.Code.Count;   // no questions: every cell is a lesson
        var early = w.Code.Select((c, i) => (c, i)).Where(x => x.i < questions && RecordCall().IsMatch(x.c)).Select(x => x.i).ToList();
        Assert.True(early.Count == 0, $"{notebook}: cells {string.Join(", ", early)} call run.Add or run.Save before the questions (cell {questions})");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void The_solutions_answer_every_exercise_and_question(string notebook)
    {
        var w = Workshop.Read(notebook);
        Assert.False(w.Solutions == "", $"notebooks/solutions/{notebook}.md is missing");
        foreach (var (id, title) in w.Exercises.Zip(w.ExerciseTitles))
            Assert.True(Regex.IsMatch(w.Solutions, $@"(?m)^## Exercise {Regex.Escape(id)} · {Regex.Escape(title)}$"),
                $"{notebook}: the solutions need '## Exercise {id} · {title}', the exercise's own title (a solution under another title answers another exercise)");
        foreach (var (_, id, firstLine) in w.Stubs)
            Assert.True(w.Solutions.Contains("```csharp\n" + firstLine + "\n"), $"{notebook}: the solution of {id} must be a csharp block starting with the stub's first line: {firstLine}");
        var answers = w.Solutions.Split("## Answers to the questions", 2);
        Assert.True(answers.Length == 2, $"{notebook}: the solutions need '## Answers to the questions'");
        Assert.Equal(w.Questions, NumberedItem().Matches(answers[1]).Count);
    }
}

/// <summary>
/// The check cells run: in the learner's copy (every notebook as shipped, both frontends) each says "not yet" with a hint and
/// nothing fails; with the solutions filled in (<c>run-all --solutions</c>) each says "passed".
/// </summary>
[Collection(NotebookRuns.Name)]
[Trait("Tier", Tiers.Notebooks)]
public class WorkshopRunTests(NotebookRuns runs)
{
    public static TheoryData<string, string> Runs()
    {
        var data = new TheoryData<string, string>();
        foreach (var run in new[] { "jupyter", "vscode", NotebookRuns.Solved })
            foreach (var nb in NotebookRuns.All) data.Add(run, nb);
        return data;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Every_check_says_not_yet_with_a_hint_before_and_passed_after_the_exercises_are_solved(string run, string notebook)
    {
        var workshop = WorkshopTests.Workshop.Read(notebook);
        var executed = runs.In(run)[notebook];
        var problems = new List<string>();
        foreach (var (id, cell) in workshop.Checks)
        {
            // Executed copies hold the code cells only, in order.
            var code = executed.Cells.Where(c => c.Source.Contains($"(\"{id}\"")).ToList();
            var printed = string.Join("\n", code.SelectMany(c => c.Outputs).Where(o => o.Type == "stream").Select(o => o.Text));
            var errors = code.SelectMany(c => c.Errors).ToList();
            if (errors.Count > 0) { problems.Add($"{id}: the check cell failed: {errors[0]}"); continue; }
            var verdict = printed.Split('\n').FirstOrDefault(l => l.StartsWith($"✔ Exercise {id} passed:") || l.StartsWith($"✘ Exercise {id} not yet:"));
            if (run == NotebookRuns.Solved)
            {
                if (verdict is null || !verdict.StartsWith("✔")) problems.Add($"{id}: with its solution: {verdict ?? printed}");
            }
            else if (verdict is null || !verdict.StartsWith("✘") || !(verdict.Contains("Hint: ") || verdict.Contains("write your prediction")))
                problems.Add($"{id}: as shipped: {verdict ?? printed}");
        }
        Assert.True(workshop.Checks.Count > 0, $"{notebook} has no check cells");
        Assert.True(problems.Count == 0, $"{notebook} ({run}):\n{string.Join("\n", problems)}");
    }
}

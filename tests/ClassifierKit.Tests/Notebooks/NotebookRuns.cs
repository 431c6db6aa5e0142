using System.Diagnostics;
using System.Text.Json;
using ClassifierKit.Platform;

namespace ClassifierKit.Tests.Notebooks;

/// <summary>
/// Executes every notebook once per frontend (the stock kernel under Jupyter, and the same kernel the way VS Code starts it),
/// quick profile, and keeps the executed copies for the tests of this collection. The runs are the expensive part, so they
/// happen once, on first use.
/// </summary>
public sealed class NotebookRuns : IDisposable
{
    public const string Name = "Notebook runs";

    public static readonly string[] All =
        ["00-autograd-and-nn", "01-data", "02-baseline-cnn", "03-resnet", "04-tricks", "05-gpu", "06-fashion-mnist-lab", "07-eighty-twenty"];

    readonly Dictionary<string, Lazy<IReadOnlyDictionary<string, ExecutedNotebook>>> _runs;
    readonly string _out = Path.Combine(Path.GetTempPath(), "classifierkit-notebooks", Guid.NewGuid().ToString("N"));

    public static string Repo => Locations.RequireRepositoryRoot();

    /// <summary>notebooks/python: the first python3 on PATH with Jupyter's client (the one notebooks/setup installed it for).</summary>
    public static string Python => Path.Combine(Repo, "notebooks", "python");

    public NotebookRuns()
    {
        _runs = new[] { "jupyter", "vscode", Solved }.ToDictionary(f => f, f => new Lazy<IReadOnlyDictionary<string, ExecutedNotebook>>(() => Execute(f)));
    }

    /// <summary>The run of every notebook with its exercises solved (<c>run-all --solutions</c>, in Jupyter).</summary>
    public const string Solved = "solved";

    /// <summary>The executed notebooks of <paramref name="frontend"/> ("jupyter", "vscode" or <see cref="Solved"/>), by name.</summary>
    public IReadOnlyDictionary<string, ExecutedNotebook> In(string frontend) => _runs[frontend].Value;

    IReadOnlyDictionary<string, ExecutedNotebook> Execute(string run)
    {
        var frontend = run == Solved ? "jupyter" : run;
        var kernelSpec = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "jupyter", "kernels", ".net-csharp", "kernel.json");
        Assert.True(frontend != "jupyter" || File.Exists(kernelSpec) || Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR") is not null,
            $"{kernelSpec} is missing: run notebooks/setup first (it registers the stock kernel for Jupyter).");
        var dir = Path.Combine(_out, run);
        // The README's command (notebooks/run-all, quick profile), as a user or CI runs it; only the output folder differs.
        var (exit, output) = Run(Path.Combine(Repo, "notebooks", "run-all"), ["--out", dir, "--timeout", "900", "--frontend", frontend,
            .. (run == Solved ? new[] { "--solutions" } : []), .. All.Select(n => n + ".ipynb")], Path.Combine(Repo, "notebooks"), ("NOTEBOOK_PROFILE", "quick"));
        var executed = All.ToDictionary(n => n, n =>
        {
            var path = Path.Combine(dir, n + ".ipynb");
            Assert.True(File.Exists(path), $"execute.py wrote no {n}.ipynb for {run} (exit {exit}):\n{output}");
            return new ExecutedNotebook(path);
        });
        return executed;
    }

    /// <summary>Runs a process to its end; returns its exit code, its standard output and everything it printed.</summary>
    public static (int Exit, string Output, string Stdout) RunWithStdout(string program, IEnumerable<string> args, string workingDirectory, params (string Name, string Value)[] env)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (name, value) in env) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result, stdout);
    }

    /// <summary>Runs a process to its end; returns its exit code and everything it printed.</summary>
    public static (int Exit, string Output) Run(string program, IEnumerable<string> args, string workingDirectory, params (string Name, string Value)[] env)
    {
        var (exit, output, _) = RunWithStdout(program, args, workingDirectory, env);
        return (exit, output);
    }

    /// <summary>
    /// Runs a tool that prints its report as one JSON line, the last of its standard output; fails the test with everything
    /// it printed when it does not. Only the last line counts: kernels and browsers it starts may print to the same stdout.
    /// </summary>
    public static JsonElement RunJson(string program, IEnumerable<string> args, string workingDirectory)
    {
        var (exit, output, stdout) = RunWithStdout(program, args, workingDirectory);
        var last = stdout.TrimEnd().Split('\n')[^1].Trim();
        Assert.True(exit == 0 && (last.StartsWith('{') || last.StartsWith('[')), $"{program} {string.Join(" ", args)} failed (exit {exit}):\n{output}");
        using var doc = JsonDocument.Parse(last);
        return doc.RootElement.Clone();
    }

    public void Dispose()
    {
        try { Directory.Delete(_out, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(NotebookRuns.Name, DisableParallelization = true)]
public sealed class NotebookRunsCollection : ICollectionFixture<NotebookRuns> { }

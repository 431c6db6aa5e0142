#!/usr/bin/env python3
"""Executes notebooks headless in the stock .NET Interactive kernel and writes the executed copies with their outputs.

usage: execute.py [--out DIR] [--timeout SECONDS] [--frontend jupyter|vscode] NOTEBOOK...

--frontend jupyter (default): the kernel registered for Jupyter (`.net-csharp`), driven by nbclient, as Jupyter runs it.
--frontend vscode: the kernel started the way VS Code's Polyglot Notebooks extension starts it
    (`dotnet tool run dotnet-interactive -- [vscode] stdio --working-dir <notebook folder>`), driven over its JSON-lines
    protocol; each event becomes the notebook output VS Code would show.
Prints one summary line per notebook; exits 1 if any notebook raised an error.
The profile comes from NOTEBOOK_PROFILE (quick unless set to full).
"""
import argparse, json, os, queue, re, subprocess, sys, threading, time, uuid
import nbformat

ACCURACY = re.compile(r"Accuracy of the network on the [\d,]+ test images: (\d+(?:\.\d+)?) ?%")
CHART_TYPES = ("image/svg+xml", "application/vnd.plotly.v1+json")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def text_of(value):
    return "".join(value) if isinstance(value, list) else (value if isinstance(value, str) else json.dumps(value))


def summarize(nb):
    """Counts what the outputs hold: errors, image outputs, charts, tables, accuracies."""
    s = {"errors": [], "images": 0, "charts": 0, "plotly": 0, "tables": 0, "accuracies": [], "checks": {}}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                # The kernel's own words, whole: the exception's type and message, and its traceback where it sent one.
                text = f"{out.get('ename')}: {out.get('evalue')}"
                trace = "\n".join(ANSI.sub("", line) for line in out.get("traceback", []))
                s["errors"].append(text + (f"\n{trace}" if trace and out.get("evalue", "") not in trace else ""))
                continue
            if out.get("output_type") == "stream":
                text = text_of(out.get("text", ""))
                if out.get("name") == "stderr" and "Exception" in text:
                    s["errors"].append(text[:500])
                s["accuracies"] += [float(a) for a in ACCURACY.findall(text)]
                s["checks"].update(CHECK.findall(text))   # exercise -> "passed" or "not yet", the last verdict printed
                continue
            data = out.get("data", {})
            html = text_of(data.get("text/html", ""))
            s["images"] += html.count("data:image/png;base64") + (1 if "image/png" in data else 0)
            s["charts"] += 1 if any(t in data for t in CHART_TYPES) else html.count('class="ck-chart"')
            s["plotly"] += 1 if "application/vnd.plotly.v1+json" in data else 0
            s["tables"] += html.count("<table")
            s["accuracies"] += [float(a) for a in ACCURACY.findall(text_of(data.get("text/plain", "")))]
    return s


def run_jupyter(nb, path, timeout):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    client = NotebookClient(nb, timeout=timeout, kernel_name=".net-csharp",
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    try:
        client.execute()
    except CellExecutionError:
        return "cell failed"   # its text is in the error output, which summarize() reports
    except Exception as e:  # kernel died, timeout
        return f"{type(e).__name__}: {e}"[:300]
    return None


class StdioKernel:
    """The kernel as VS Code runs it: JSON-lines commands on stdin, events on stdout (see dotnet/interactive's Connection/)."""

    def __init__(self, working_dir):
        env = dict(os.environ, DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT="1", DOTNET_INTERACTIVE_SKIP_FIRST_TIME_EXPERIENCE="1")
        self.p = subprocess.Popen(["dotnet", "tool", "run", "dotnet-interactive", "--", "[vscode]", "stdio", "--working-dir", working_dir],
                                  cwd=working_dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  env=env, text=True, encoding="utf-8", bufsize=1)
        self.events = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait(lambda e: e.get("eventType") == "KernelReady", 180)

    def _read(self):
        for line in self.p.stdout:
            try:
                self.events.put(json.loads(line))
            except json.JSONDecodeError:
                pass  # console output that escaped a finished cell; VS Code drops it too
        self.events.put(None)

    def wait(self, predicate, timeout, discarded=None):
        """The next event that predicate accepts; the others are dropped (appended to discarded, when given)."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError(f"no answer from the kernel within {timeout} s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                raise TimeoutError(f"no answer from the kernel within {timeout} s") from None
            if event is None:
                raise RuntimeError("the kernel process ended")
            if predicate(event):
                return event
            if discarded is not None:
                discarded.append(event)

    def send(self, command_type, command):
        token = str(uuid.uuid4())
        self.p.stdin.write(json.dumps({"token": token, "commandType": command_type, "command": command}) + "\n")
        self.p.stdin.flush()
        return token

    def execute(self, code, timeout, on_event):
        """Submits one cell; passes each event of it, and whether it ends the cell's own command, to on_event."""
        token = self.send("SubmitCode", {"code": code, "targetKernelName": "csharp"})
        while True:
            event = self.wait(lambda e: (e.get("command") or {}).get("token", "").startswith(token), timeout)
            # Child commands (a #r, a nested submission) carry tokens that extend this one; their events belong to the
            # cell's output, but only the cell's own CommandSucceeded/CommandFailed ends it, or counts as its error.
            own = event["command"]["token"] == token
            on_event(event, own)
            if own and event["eventType"] in ("CommandSucceeded", "CommandFailed"):
                return event

    def close(self):
        try:
            self.send("Quit", {})
            self.p.wait(timeout=10)
        except Exception:
            self.p.kill()


def run_vscode(nb, path, timeout):
    kernel = StdioKernel(os.path.dirname(os.path.abspath(path)))
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            outputs, by_id = [], {}

            def on_event(event, own):
                kind, body = event["eventType"], event.get("event", {})
                values = {v["mimeType"]: v["value"] for v in body.get("formattedValues", [])}
                if kind == "StandardOutputValueProduced":
                    outputs.append(nbformat.v4.new_output("stream", name="stdout", text=values.get("text/plain", "")))
                elif kind == "StandardErrorValueProduced":
                    outputs.append(nbformat.v4.new_output("stream", name="stderr", text=values.get("text/plain", "")))
                elif kind in ("DisplayedValueProduced", "ReturnValueProduced"):
                    out = nbformat.v4.new_output("display_data", data=values)
                    outputs.append(out)
                    if body.get("valueId"):
                        by_id[body["valueId"]] = out
                elif kind == "DisplayedValueUpdated" and body.get("valueId") in by_id:
                    by_id[body["valueId"]]["data"] = values
                elif kind == "CommandFailed" and own:
                    outputs.append(nbformat.v4.new_output("error", ename="Error", evalue=body.get("message", ""), traceback=[]))

            kernel.execute(cell.source, timeout, on_event)
            cell.outputs = outputs
            if any(o.output_type == "error" for o in outputs):
                return "cell failed"   # its text is in the error output, which summarize() reports
    except Exception as e:
        return f"{type(e).__name__}: {e}"[:300]
    finally:
        kernel.close()
    return None


CHECK = re.compile(r"^[✔✘] Exercise (\d\d\.\d+) (passed|not yet):", re.M)
STUB = re.compile(r"^// Exercise (\d\d\.\d+)\b")
SOLUTION = re.compile(r"^## Exercise (\d\d\.\d+)\b.*?^```csharp\n(.*?)^```", re.S | re.M)


def fill_in_solutions(nb, path):
    """Replaces each exercise's stub cell (its first line "// Exercise NN.K") with the code block under "## Exercise NN.K"
    in notebooks/solutions/<notebook>.md, as a learner who solved them all would have it."""
    md = os.path.join(os.path.dirname(os.path.abspath(path)), "solutions", os.path.basename(path)[:-len(".ipynb")] + ".md")
    solutions = {m.group(1): m.group(2) for m in SOLUTION.finditer(open(md).read())} if os.path.exists(md) else {}
    for cell in nb.cells:
        m = STUB.match(cell.source) if cell.cell_type == "code" else None
        if m:
            if m.group(1) not in solutions:
                raise SystemExit(f"{md}: no solution for exercise {m.group(1)} (a '## Exercise {m.group(1)}' heading with a csharp block)")
            cell.source = solutions[m.group(1)].rstrip("\n")


def run(path, out_dir, timeout, frontend, solutions=False):
    nb = nbformat.read(path, as_version=4)
    if solutions:
        fill_in_solutions(nb, path)
    start = time.time()
    failure = (run_vscode if frontend == "vscode" else run_jupyter)(nb, path, timeout)
    seconds = time.time() - start
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, os.path.basename(path))
    nbformat.write(nb, target)
    s = summarize(nb)
    if failure and not s["errors"]:
        s["errors"].append(failure)
    s.update(notebook=os.path.basename(path), frontend=frontend, seconds=round(seconds, 1), executed=target,
             cells=sum(1 for c in nb.cells if c.cell_type == "code"))
    with open(target + ".summary.json", "w") as f:
        json.dump(s, f, indent=1)
    acc = f"  accuracy {s['accuracies'][-1]:g}%" if s["accuracies"] else ""
    if s["checks"]:
        acc += f"  exercises {sum(v == 'passed' for v in s['checks'].values())} of {len(s['checks'])} passed"
    status = "FAILED" if s["errors"] else "ok"
    print(f"{s['notebook']:<28} {status:<6} {s['seconds']:7.1f} s  {s['cells']:2d} cells  "
          f"{s['images']} images  {s['charts']} charts  {s['tables']} tables{acc}"
          + "".join(f"\n    " + e.replace("\n", "\n    ") for e in s["errors"]), flush=True)
    return not s["errors"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "executed"))
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    ap.add_argument("--frontend", choices=["jupyter", "vscode"], default="jupyter")
    ap.add_argument("--solutions", action="store_true",
                    help="run each notebook with its exercises solved (notebooks/solutions/<notebook>.md) instead of their stubs")
    ap.add_argument("notebooks", nargs="+")
    args = ap.parse_args()
    os.environ.setdefault("Logging__LogLevel__Default", "Warning")  # the kernel's web-host start-up chatter
    ok = [run(p, args.out, args.timeout, args.frontend, args.solutions) for p in args.notebooks]
    sys.exit(0 if all(ok) else 1)


if __name__ == "__main__":
    main()

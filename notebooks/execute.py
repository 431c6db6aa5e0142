#!/usr/bin/python3
"""Executes notebooks headless in the .NET (C#) kernel and writes the executed copies with their outputs.

usage: execute.py [--out DIR] [--timeout SECONDS] NOTEBOOK...
Prints one summary line per notebook; exits 1 if any notebook raised an error.
The profile comes from NOTEBOOK_PROFILE (quick unless set to full).
"""
import argparse, json, os, re, sys, time
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ACCURACY = re.compile(r"Accuracy of the network on the [\d,]+ test images: (\d+(?:\.\d+)?) ?%")


def summarize(nb):
    """Counts what the outputs hold: errors, image grids, Plotly charts, tables, accuracies."""
    s = {"errors": [], "images": 0, "charts": 0, "tables": 0, "accuracies": []}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                s["errors"].append(f"{out.get('ename')}: {out.get('evalue')}"[:500])
                continue
            if out.get("output_type") == "stream":
                text = out.get("text", "")
                if out.get("name") == "stderr" and "Exception" in text:
                    s["errors"].append(text[:500])
                s["accuracies"] += [float(a) for a in ACCURACY.findall(text)]
                continue
            data = out.get("data", {})
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            plain = data.get("text/plain", "")
            plain = "".join(plain) if isinstance(plain, list) else plain
            s["images"] += html.count("data:image/png;base64") + (1 if "image/png" in data else 0)
            s["charts"] += html.count("Plotly.newPlot")
            s["tables"] += html.count("<table")
            s["accuracies"] += [float(a) for a in ACCURACY.findall(plain)]
    return s


def run(path, out_dir, timeout):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=".net-csharp",
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    start = time.time()
    failure = None
    try:
        client.execute()
    except CellExecutionError as e:
        failure = str(e).strip().splitlines()[-1][:300] if str(e).strip() else "cell failed"
    except Exception as e:  # kernel died, timeout
        failure = f"{type(e).__name__}: {e}"[:300]
    seconds = time.time() - start
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, os.path.basename(path))
    nbformat.write(nb, target)
    s = summarize(nb)
    if failure and not s["errors"]:
        s["errors"].append(failure)
    s.update(notebook=os.path.basename(path), seconds=round(seconds, 1), executed=target,
             cells=sum(1 for c in nb.cells if c.cell_type == "code"))
    with open(target + ".summary.json", "w") as f:
        json.dump(s, f, indent=1)
    acc = f"  accuracy {s['accuracies'][-1]:g}%" if s["accuracies"] else ""
    status = "FAILED" if s["errors"] else "ok"
    print(f"{s['notebook']:<28} {status:<6} {s['seconds']:7.1f} s  {s['cells']:2d} cells  "
          f"{s['images']} images  {s['charts']} charts  {s['tables']} tables{acc}"
          + (f"\n    {s['errors'][0]}" if s["errors"] else ""), flush=True)
    return not s["errors"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "executed"))
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    ap.add_argument("notebooks", nargs="+")
    args = ap.parse_args()
    os.environ.setdefault("JUPYTER_PATH", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".kernel"))
    os.environ.setdefault("Logging__LogLevel__Default", "Warning")  # the kernel's web-host start-up chatter
    ok = [run(p, args.out, args.timeout) for p in args.notebooks]
    sys.exit(0 if all(ok) else 1)


if __name__ == "__main__":
    main()

"""Merges the C# benchmark's --json output with the PyTorch twin's into one side-by-side table (stdout, JSON, markdown).
The ratio is ClassifierKit over PyTorch for the same row measured in the same sitting; nothing here is a stored number.
Standard library only (compare-pytorch runs it with Debian's python3)."""
import argparse
import json
import sys
from pathlib import Path

HEADERS = ["row", "ClassifierKit workload", "PyTorch twin", "unit", "ClassifierKit (median, min-max)", "PyTorch (median, min-max)", "ratio"]
LEFT = {0, 1, 2, 3}


def fmt(v):
    """As the C# Report: thousands separators from 100, one decimal below 100."""
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def cell(r):
    if r is None:
        return "-"
    if "error" in r:
        return "failed"
    spread = f" ({fmt(r['min'])}-{fmt(r['max'])})" if len(r.get("values", [])) > 1 else ""
    return fmt(r["median"]) + spread


def twin_name(ck, pt):
    """The twin's workload where it differs from ours (the bf16 and Trainer.Fit rows), else "(same)"."""
    if pt is None:
        return "-"
    return "(same)" if ck is not None and ck["name"] == pt["name"] else pt["name"]


def load(report):
    la = report.get("load_average") or {}
    return f"{la.get('start', '?')} -> {la.get('end', '?')}"


def ratio_text(ratio):
    if ratio is None:
        return "-"
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def check_same_rows(ck, pt):
    """Both sides must have run the same work per row; a mismatch means the twin and the catalog drifted apart."""
    problems = []
    for key in ("batch", "steps", "warmup"):
        if ck.get(key) is not None and pt.get(key) is not None and ck[key] != pt[key]:
            problems.append(f"{ck['id']}: {key} {ck[key]} (ClassifierKit) vs {pt[key]} (PyTorch)")
    return problems


def efficiency_lines(side, report):
    """ResNet18 @128 training GFLOP/s as a fraction of the same side's GEMM peak (its best repeat, as the C# side reads the
    peak: PeakRecord); bf16 over float32 speedups."""
    rows = {r["id"]: r for r in report["rows"] if "error" not in r}
    lines = []
    for rid in ("resnet128", "resnet128fit", "resnet128bf16"):
        r = rows.get(rid)
        peak = rows.get("gemmbf16" if "bf16" in rid else "gemmf32")
        if r and r.get("gflops") and peak:
            lines.append(f"{side}: {r['name']}: {r['gflop_per_image']:.2f} GFLOP/image x {fmt(r['median'])} images/s = "
                         f"{fmt(r['gflops'])} GFLOP/s = {100 * r['gflops'] / peak['max']:.0f}% of its {peak['name']} peak "
                         f"({fmt(peak['max'])} GFLOP/s, its best of {len(peak['values'])} repeats)")
    for f32, bf16 in (("resnet128fit", "resnet128bf16"), ("net128fit", "net128bf16")):
        if f32 in rows and bf16 in rows:
            lines.append(f"{side}: {rows[bf16]['model']} @128 bfloat16 / float32: {rows[bf16]['median'] / rows[f32]['median']:.2f}x")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pytorch", required=True)
    p.add_argument("--classifierkit", required=True)
    p.add_argument("--commit", default="unknown")
    p.add_argument("--json", required=True)
    p.add_argument("--markdown", required=True)
    a = p.parse_args()
    pt, ck = json.loads(Path(a.pytorch).read_text()), json.loads(Path(a.classifierkit).read_text())
    pt_rows, ck_rows = {r["id"]: r for r in pt["rows"]}, {r["id"]: r for r in ck["rows"]}
    ids = [r["id"] for r in ck["rows"]] + [i for i in pt_rows if i not in ck_rows]
    # GEMM rows first, then the table rows in catalog order (failed C# rows are listed last in its JSON)
    order = {i: n for n, i in enumerate(r["id"] for r in pt["rows"])}
    ids.sort(key=lambda i: order.get(i, len(order)))

    problems = [p for i in ids if i in ck_rows and i in pt_rows for p in check_same_rows(ck_rows[i], pt_rows[i])]
    if problems:
        sys.exit("compare_table: the two sides ran different work:\n  " + "\n  ".join(problems))

    rows, cells = [], []
    for i in ids:
        c, t = ck_rows.get(i), pt_rows.get(i)
        ok = c is not None and t is not None and "error" not in c and "error" not in t
        ratio = c["median"] / t["median"] if ok else None
        unit = (c or t)["unit"]
        rows.append({"id": i, "unit": unit, "ratio": ratio,
                     "classifierkit": c and {k: c[k] for k in ("name", "median", "min", "max", "values", "error", "steps", "warmup", "batch") if k in c},
                     "pytorch": t and {k: t[k] for k in ("name", "median", "min", "max", "values", "steps", "warmup", "batch") if k in t}})
        cells.append([i, c["name"] if c else "-", twin_name(c, t), unit, cell(c), cell(t), ratio_text(ratio)])

    ck_versions, pt_versions = ck.get("versions", {}), pt.get("versions", {})
    m = ck["machine"]
    header = [
        f"ClassifierKit vs PyTorch, side by side, {ck['date']} ({ck['setting']} setting{'; QUICK: the numbers mean nothing' if ck['setting'] == 'quick' else ''})",
        f"machine: {m['cpu']} ({m.get('features', 'CPU features not recorded')}), {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}; commit {a.commit}",
        f"ClassifierKit: TorchSharp {ck_versions.get('torchsharp')} on libtorch {ck_versions.get('libtorch')}, .NET {ck_versions.get('dotnet')}, "
        f"{ck['threads']} threads, allocator: {ck.get('allocator')}, denormals: {ck.get('denormals', 'not recorded')}, "
        f"MKL: {ck.get('mkl', 'not recorded')}",
        f"PyTorch: torch {pt_versions.get('torch')} (Debian), BLAS {pt_versions.get('blas')}, Python {pt_versions.get('python')}, "
        f"{pt['threads']} threads, allocator: {pt.get('allocator')}, denormals: {pt.get('denormals', 'kept (PyTorch default)')}",
        f"repeats: {ck['repeats']} (ClassifierKit) / {pt['repeats']} (PyTorch); ratio = ClassifierKit median / PyTorch median (above 1: ClassifierKit is faster)",
        f"load average (1, 5, 15 min) at start and end: PyTorch {load(pt)}, ClassifierKit {load(ck)}; "
        f"well above {ck['threads']} means something else ran and the numbers are not worth keeping",
    ]
    # The C# run prints its own efficiency, speed-up and target lines; the twin's are worked out here.
    notes = [f"ClassifierKit: {t}" for t in ck.get("targets", [])] + efficiency_lines("PyTorch", pt)
    failures = [r["error"] for r in ck["rows"] if "error" in r]

    widths = [max(len(r[k]) for r in cells + [HEADERS]) for k in range(len(HEADERS))]
    line = lambda r: "  ".join(s.ljust(w) if k in LEFT else s.rjust(w) for k, (s, w) in enumerate(zip(r, widths))).rstrip()
    text = [*header, "", line(HEADERS), "-" * (sum(widths) + 2 * (len(widths) - 1)), *map(line, cells), "", *failures, *notes]
    print("\n".join(text))

    md = ["# ClassifierKit vs PyTorch", "", *(f"- {h}" for h in header), "",
          "| " + " | ".join(HEADERS) + " |", "|" + "|".join("---" if k in LEFT else "---:" for k in range(len(HEADERS))) + "|",
          *("| " + " | ".join(r) + " |" for r in cells), "", *(f"- {n}" for n in failures + notes), ""]
    result = {"date": ck["date"], "setting": ck["setting"], "commit": a.commit, "machine": m,
              "load_average": {"classifierkit": ck.get("load_average"), "pytorch": pt.get("load_average")},
              "threads": {"classifierkit": ck["threads"], "pytorch": pt["threads"]},
              "repeats": {"classifierkit": ck["repeats"], "pytorch": pt["repeats"]},
              "allocator": {"classifierkit": ck.get("allocator"), "pytorch": pt.get("allocator")},
              "versions": {"classifierkit": ck_versions, "pytorch": pt_versions},
              "ratio": "ClassifierKit median / PyTorch median", "rows": rows, "failures": failures, "notes": notes}
    for path, content in ((a.json, json.dumps(result, indent=2) + "\n"), (a.markdown, "\n".join(md))):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(content)
    print(f"\nwritten: {a.json}, {a.markdown}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the README's results table from the committed full-profile records in notebooks/results/.

usage: results_table.py              print the table
       results_table.py --write FILE replace the block between <!-- results:begin --> and <!-- results:end --> in FILE
       results_table.py --check FILE exit 1 (and say why) if FILE's block differs from what the records give

Every number in the table comes from a record a full-profile run wrote (NOTEBOOK_PROFILE=full notebooks/run-all); the
records name their machine, date and commit.
"""
import glob, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def shown(v):
    unit, value = v["Unit"], v["Value"]
    if unit == "%":
        return f"{value:.1f} %"   # records keep accuracies to a tenth of a point: 73.0, not 73
    if unit == "s":
        return f"{value:,.0f} s" if value >= 100 else f"{value:g} s"
    if unit == "loss":
        return f"{value:.3f}"
    return f"{value:,.0f}" if value == round(value) else f"{value:g} {unit}".strip()


def last_epoch(v, values):
    """A per-epoch accuracy (`V2.acc.3`) that is its run's last: the run's final test accuracy."""
    m = re.fullmatch(r"(.+)\.acc\.(\d+)", v["Key"])
    return m is not None and not any(w["Key"] == f"{m[1]}.acc.{int(m[2]) + 1}" for w in values)


def run_on(r):
    """Date and commit; for a sweep continued in later sittings (NOTEBOOK_RESUME=1), those of every sitting."""
    sittings = (r.get("EarlierParts") or []) + [r]
    dates = list(dict.fromkeys(s["StartedUtc"][:10] for s in sittings))
    commits = list(dict.fromkeys(s["Commit"] for s in sittings))
    said = f'{", ".join(dates)}, commit{"s" if len(commits) > 1 else ""} {", ".join(commits)}'
    said += f" ({len(sittings)} sittings)" if len(sittings) > 1 else ""
    return said + ("; **unfinished**: stopped between runs, to continue with `NOTEBOOK_RESUME=1`" if r.get("Unfinished") else "")


def table():
    records = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(HERE, "results", "*.json")))]
    lines = ["| notebook | measure | result | notebook wall time | run on |", "|---|---|---|---|---|"]
    for r in records:
        picked = [v for v in r["Values"] if v["Key"].endswith(".accuracy") or v["Unit"] == "images/s" or last_epoch(v, r["Values"])]
        when = run_on(r)
        for i, v in enumerate(picked):
            first = i == 0
            lines.append(f'| {"`" + r["Notebook"] + "`" if first else ""} | {v["What"]} | {shown(v)} | '
                         f'{shown({"Unit": "s", "Value": r["WallSeconds"]}) if first else ""} | {when if first else ""} |')
    machines = sorted({r["Machine"] for r in records})
    lines.append("")
    lines.append("Machine" + ("s" if len(machines) > 1 else "") + ": " + "; ".join(machines) + ".")
    return "\n".join(lines)


def main():
    generated = table()
    if len(sys.argv) == 1:
        print(generated)
        return
    mode, path = sys.argv[1], sys.argv[2]
    text = open(path).read()
    if BEGIN not in text or END not in text:
        sys.exit(f"{path} has no {BEGIN} ... {END} block")
    before, rest = text.split(BEGIN, 1)
    current, after = rest.split(END, 1)
    if mode == "--check":
        if current.strip() != generated.strip():
            sys.exit(f"{path}'s results table differs from notebooks/results/; run notebooks/results_table.py --write {path}")
        return
    with open(path, "w") as f:
        f.write(before + BEGIN + "\n" + generated + "\n" + END + after)


if __name__ == "__main__":
    main()

"""Sums oneDNN's execution profile (ONEDNN_VERBOSE=profile_exec lines in a benchmark run's output) per kind of primitive
and per training step, beside the step's wall time from the benchmark's JSON. Two runs of the same row, the second with
more timed steps, are subtracted, so that what runs once per run cancels. Used by profile-onednn."""
import collections, json, sys

PROPAGATION = {"forward_training": "forward", "forward_inference": "forward", "backward_data": "backward data",
               "backward_weights": "backward weights", "backward": "backward"}


def profile(path):
    """kind -> [ms, calls], implementation counts, from one run's output."""
    per_kind, impls = collections.defaultdict(lambda: [0.0, 0]), collections.Counter()
    for line in open(path, errors="replace"):
        if not line.startswith("onednn_verbose,") or ",exec," not in line:
            continue
        f = line.rstrip("\n").split(",")
        try:
            at = f.index("exec")
            kind, impl, prop, ms = f[at + 2], f[at + 3], f[at + 4], float(f[-1])
        except (ValueError, IndexError):
            continue
        key = kind if kind in ("reorder", "sum", "eltwise", "binary", "matmul") else f"{kind} {PROPAGATION.get(prop, prop)}"
        per_kind[key][0] += ms
        per_kind[key][1] += 1
        impls[f"{kind}: {impl.split(':')[0]}"] += 1
    return per_kind, impls


def main(row, short_out, long_out, long_json):
    r = next((x for x in json.load(open(long_json))["rows"] if x.get("id") == row), None)
    if r is None:
        sys.exit(f"{long_json} has no row {row}: did the benchmark run it?")
    (short, _), (long, impls) = profile(short_out), profile(long_out)
    extra_steps = r["steps"] // 2                            # the long run timed twice the short run's steps
    step_ms = r["step_ms"]
    rows = {k: ((long[k][0] - short.get(k, [0, 0])[0]) / extra_steps, (long[k][1] - short.get(k, [0, 0])[1]) / extra_steps) for k in long}
    total = sum(ms for ms, _ in rows.values())
    print(f"{r['name']}: {r['median']:.1f} images/s, {step_ms:.0f} ms per step ({r['steps']} timed steps, profile on)")
    print(f"{'oneDNN primitive':<32} {'ms/step':>9} {'share':>7} {'calls/step':>11}")
    for key, (ms, calls) in sorted(rows.items(), key=lambda kv: -kv[1][0]):
        print(f"{key:<32} {ms:9.1f} {ms / step_ms:7.1%} {calls:11.0f}")
    print(f"{'all oneDNN primitives':<32} {total:9.1f} {total / step_ms:7.1%}")
    print(f"{'the rest (libtorch kernels, C#)':<32} {step_ms - total:9.1f} {(step_ms - total) / step_ms:7.1%}")
    print("implementations (long run): " + ", ".join(f"{k} x{v}" for k, v in impls.most_common()))


if __name__ == "__main__":
    main(*sys.argv[1:5])

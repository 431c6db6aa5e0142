"""PyTorch twin of the ClassifierKit benchmark: the same rows (models, batch sizes, steps, warm-up, repeats, median) in
plain PyTorch, for compare-pytorch to put side by side with the C# run. Data is held in memory as uint8 tensors, read from
the same official files, and normalized per batch as the C# BatchLoader does. Run it through compare-pytorch, which sets
up Debian's PyTorch privately; see README.md."""
import argparse
import ctypes
import gzip
import json
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[2]
QUICK_IMAGES = 2000  # as BenchmarkData.QuickImages: the first test images serve every CIFAR row


@dataclass(frozen=True)
class Row:
    """One row, mirroring BenchmarkCase.Catalog: id, model, batch, phase, steps per repeat, warm-up, data, augmentation, precision."""
    id: str
    model: str
    batch: int
    phase: str  # train | train pure | eval | blog loop | blog loop bf16
    steps: int
    warmup: int
    split: str  # cifar-train | cifar-test | fashion-train
    augment: bool = False
    bf16: bool = False

    @property
    def name(self):
        phase = {"blog loop": "blog loop", "blog loop bf16": 'blog loop, autocast("cpu", bfloat16)'}.get(self.phase, self.phase)
        return f"{self.model} @{self.batch} {phase}"


ROWS = [
    Row("net4", "Net", 4, "train", 2000, 200, "cifar-train"),
    Row("net4pure", "Net", 4, "train pure", 2000, 200, "cifar-train"),
    Row("net4fit", "Net", 4, "blog loop", 2000, 200, "cifar-train"),
    Row("net128", "Net", 128, "train", 200, 20, "cifar-train"),
    Row("net128fit", "Net", 128, "blog loop", 200, 20, "cifar-train"),
    Row("net128bf16", "Net", 128, "blog loop bf16", 200, 20, "cifar-train", bf16=True),
    Row("neteval1000", "Net", 1000, "eval", 40, 5, "cifar-test"),
    Row("tinyvgg32", "TinyVGG", 32, "train", 300, 30, "fashion-train"),
    Row("resnet5", "ResNet18", 5, "train", 20, 3, "cifar-train", augment=True),
    Row("resnet128", "ResNet18", 128, "train", 3, 1, "cifar-train", augment=True),
    Row("resnet128fit", "ResNet18", 128, "blog loop", 3, 1, "cifar-train", augment=True),
    Row("resnet128bf16", "ResNet18", 128, "blog loop bf16", 3, 1, "cifar-train", augment=True, bf16=True),
    Row("resneteval500", "ResNet18", 500, "eval", 1, 1, "cifar-test"),
]
GEMMS = ["gemmf32", "gemmbf16"]


# --- models: the same layers as ClassifierKit.Models (Net.cs, ResNet.cs + ResBlock.cs, FashionMnistModelV2.cs) ---

class Net(nn.Module):
    """The PyTorch CIFAR-10 tutorial's Net."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.residual_function = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout))
        self.selfconv = nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return F.relu(self.residual_function(x).add_(self.selfconv(x)), inplace=True)


class ResNet(nn.Module):
    """The blog's CIFAR ResNet-18: a 3x3 stem at full resolution, four stages of two blocks."""
    def __init__(self, blocks=(2, 2, 2, 2), width=64, classes=10):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        layers, cin = [], width
        for i, n in enumerate(blocks):
            cout = width * 2 ** i
            layers.append(nn.Sequential(*[ResBlock(cin if j == 0 else cout, cout, (1 if i == 0 else 2) if j == 0 else 1) for j in range(n)]))
            cin = cout
        self.conv2_x, self.conv3_x, self.conv4_x, self.conv5_x = layers
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.conv5_x(self.conv4_x(self.conv3_x(self.conv2_x(self.conv1(x)))))
        return self.fc(torch.flatten(self.avg_pool(x), 1))


class TinyVGG(nn.Module):
    """FashionMnistModelV2 (the Fashion-MNIST lab's TinyVGG) with 10 hidden units."""
    def __init__(self, cin=1, hidden=10, classes=10):
        super().__init__()
        self.block_1 = nn.Sequential(nn.Conv2d(cin, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2))
        self.block_2 = nn.Sequential(nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(hidden * 7 * 7, classes))

    def forward(self, x):
        return self.classifier(self.block_2(self.block_1(x)))


MODELS = {"Net": Net, "ResNet18": ResNet, "TinyVGG": TinyVGG}


def optimizer_for(row, model):
    # The blog's SGD for the CIFAR models, the lab's plain SGD at lr 0.1 for TinyVGG (as BenchmarkCase.BlogSgd / LabSgd).
    if row.model == "TinyVGG":
        return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0)
    return torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)


def flop_per_image(row, shape):
    """As ModelFlops.cs: conv/linear multiply-adds of one image (output elements x weight elements per output channel),
    2 FLOP each, x3 for a training step."""
    model, macs = MODELS[row.model](), [0]

    def hook(layer, _, out):
        macs[0] += out.numel() * (layer.weight.numel() // layer.weight.shape[0])

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model.eval()(torch.zeros(1, *shape))
    return 2.0 * macs[0] * (1 if row.phase == "eval" else 3)


# --- data: the official files, uint8 in memory ---

def data_root():
    return Path(os.environ.get("CLASSIFIERKIT_DATA") or REPO / "data")


def cifar10(train):
    folder = data_root() / "CIFAR10" / "cifar-10-batches-bin"
    files = [folder / f"data_batch_{i}.bin" for i in range(1, 6)] if train else [folder / "test_batch.bin"]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise SystemExit(f"CIFAR-10 missing: {', '.join(missing)} (the C# side's Cifar10.Load puts it there)")
    raw = np.concatenate([np.fromfile(f, dtype=np.uint8).reshape(-1, 3073) for f in files])
    images = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy())
    return images, torch.from_numpy(raw[:, 0].astype(np.int64))


def fashion_mnist(train):
    candidates = [os.environ.get("FASHION_MNIST_SOURCE"), "/usr/share/datasets/fashion-mnist", str(data_root() / "FashionMNIST")]
    prefix = "train" if train else "t10k"
    for c in filter(None, candidates):
        images, labels = Path(c) / f"{prefix}-images-idx3-ubyte.gz", Path(c) / f"{prefix}-labels-idx1-ubyte.gz"
        if images.exists() and labels.exists():
            x = np.frombuffer(gzip.open(images).read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
            y = np.frombuffer(gzip.open(labels).read(), dtype=np.uint8, offset=8).astype(np.int64)
            return torch.from_numpy(x.copy()), torch.from_numpy(y)
    raise SystemExit("Fashion-MNIST not found (apt-get install dataset-fashion-mnist, or set FASHION_MNIST_SOURCE)")


class Data:
    """Each split loaded once; the quick setting uses the first QUICK_IMAGES test images, as BenchmarkData does."""
    def __init__(self, quick):
        self.quick, self.loaded = quick, {}

    def get(self, split):
        if self.quick and split == "cifar-train":
            split = "cifar-test"
        if split not in self.loaded:
            fashion = split.startswith("fashion")
            load = fashion_mnist if fashion else cifar10
            x, y = load(train=split.endswith("train") and not self.quick)
            self.loaded[split] = (x[:QUICK_IMAGES], y[:QUICK_IMAGES]) if self.quick else (x, y)
        return self.loaded[split]


def crop_and_flip(x, gen, padding=4):
    """Random crop after zero padding and a random horizontal flip, per image, as one gather (Augmentation.cs)."""
    b, c, h, w = x.shape
    oy = torch.randint(0, 2 * padding + 1, (b,), generator=gen)
    ox = torch.randint(0, 2 * padding + 1, (b,), generator=gen)
    rows = oy.view(b, 1) + torch.arange(h).view(1, h)
    cols_ar = torch.arange(w).view(1, w)
    flip = (torch.rand(b, generator=gen) < 0.5).view(b, 1)
    cols = torch.where(flip, ox.view(b, 1) + (w - 1) - cols_ar, ox.view(b, 1) + cols_ar)
    src = F.pad(x, (padding,) * 4)
    src = src.gather(2, rows.view(b, 1, h, 1).expand(b, c, h, w + 2 * padding))
    return src.gather(3, cols.view(b, 1, 1, w).expand(b, c, h, w))


class Batches:
    """Mini-batches of uint8 images gathered by index, augmented, then normalized in one pass ((x/255 - mean)/std)."""
    def __init__(self, images, labels, batch, shuffle, fashion, augment, seed, drop_last=False):
        self.images, self.labels, self.batch, self.shuffle, self.augment = images, labels, batch, shuffle, augment
        self.gen = torch.Generator().manual_seed(seed)
        c = images.shape[1]
        mean, std = (0.0, 1.0) if fashion else (0.5, 0.5)  # ToTensor for Fashion-MNIST, the blog's Normalization.Half for CIFAR
        self.scale = torch.full((1, c, 1, 1), 1 / (255 * std))
        self.shift = torch.full((1, c, 1, 1), -mean / std)
        n = len(labels)
        self.count = n // batch if drop_last else (n + batch - 1) // batch

    def __len__(self):
        return self.count

    def __iter__(self):
        n = len(self.labels)
        order = torch.randperm(n, generator=self.gen) if self.shuffle else torch.arange(n)
        for i in range(self.count):
            idx = order[i * self.batch:(i + 1) * self.batch]
            x = self.images.index_select(0, idx)
            if self.augment:
                x = crop_and_flip(x, self.gen)
            yield x.float().mul_(self.scale).add_(self.shift), self.labels.index_select(0, idx)


def endless(batches):
    while True:
        yield from batches


# --- timing ---

def time_steps(row, data, repeats, steps, warmup):
    """Rows train / train pure / eval: warm-up steps, then `repeats` x `steps` timed steps; images/s per repeat."""
    torch.manual_seed(1)
    model = MODELS[row.model]()
    images, labels = data
    batches = Batches(images, labels, row.batch, row.phase != "eval", row.split.startswith("fashion"), row.augment, seed=1)
    stream = endless(batches)
    crit = nn.CrossEntropyLoss()
    if row.phase == "eval":
        model.eval()
        torch.set_grad_enabled(False)
        step = lambda x, y: crit(model(x), y)
    else:
        opt = optimizer_for(row, model)
        model.train()
        if row.phase == "train pure":  # one fixed batch in dataset order, as the C# row's GetBatch(0)
            fixed = next(iter(Batches(images, labels, row.batch, False, row.split.startswith("fashion"), row.augment, seed=1)))

        def step(x, y):
            if row.phase == "train pure":
                x, y = fixed
            loss = crit(model(x), y)
            loss.item()  # one host read per step, as the C# rows and Trainer.Fit do
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)  # PyTorch 2's default, and what the C# rows and Trainer.Fit do
    try:
        for _ in range(warmup):
            step(*next(stream))
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(steps):
                step(*next(stream))
            rates.append(steps * row.batch / (time.perf_counter() - start))
        return rates
    finally:
        torch.set_grad_enabled(True)


def blog_loop(row, data, repeats, steps, warmup):
    """Rows blog loop (bf16): each repeat is one epoch of the blog's loop over steps x batch images, as FitRunner times Trainer.Fit."""
    torch.manual_seed(1)
    model = MODELS[row.model]()
    net, crit, opt = model.train(), nn.CrossEntropyLoss(), optimizer_for(row, model)
    images, labels = data
    epoch = [0]

    def run(n_steps):
        n = min(n_steps * row.batch, len(labels))
        epoch[0] += 1
        batches = Batches(images[:n], labels[:n], row.batch, True, row.split.startswith("fashion"), row.augment, seed=epoch[0], drop_last=True)
        running_loss = 0.0
        start = time.perf_counter()
        for inputs, labels_ in batches:
            opt.zero_grad(set_to_none=True)  # the blog's zero_grad() as PyTorch 2 runs it (1.13 zeroed in place)
            if row.bf16:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    loss = crit(net(inputs), labels_)
            else:
                loss = crit(net(inputs), labels_)
            loss.backward()
            opt.step()
            running_loss += loss.item()
        return len(batches) * row.batch / (time.perf_counter() - start)

    if warmup > 0:
        run(warmup)
    return [run(steps) for _ in range(repeats)]


def gemm(gid, repeats, quick, steps, warmup):
    dtype = torch.bfloat16 if gid == "gemmbf16" else torch.float32
    n = 512 if quick else 4096
    products = steps or (1 if quick else 2)
    torch.manual_seed(1)
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    for _ in range(min(warmup, 1) if warmup is not None else 1):
        a.mm(b)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(products):
            a.mm(b)
        rates.append(products * 2.0 * n ** 3 / (time.perf_counter() - start) / 1e9)
    return {"id": gid, "name": f"GEMM {'bfloat16' if dtype == torch.bfloat16 else 'float32'} {n}x{n}", "unit": "GFLOP/s",
            "n": n, "steps": products, **summary(rates)}


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    kb = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(kb / 1024 ** 2, 1), "os": platform.platform()}


def blas():
    """The BLAS library this process loaded (libtorch links libblas.so.3; compare-pytorch points it at OpenBLAS)."""
    libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l or "lapack" in l})
    return ", ".join(os.path.basename(l) for l in libs) or "?"


def load_average():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "n/a"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rows")
    p.add_argument("--repeats", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--warmup", type=int)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reuse-memory", action="store_true", help="raise glibc's mmap/trim thresholds as CpuMemory.ReuseFreedMemory does")
    p.add_argument("--json")
    a = p.parse_args()
    repeats = a.repeats or (1 if a.quick else 5)
    wanted = a.rows.split(",") if a.rows else None
    known = GEMMS + [r.id for r in ROWS] + ["memory"]
    if wanted and set(wanted) - set(known):
        raise SystemExit(f"unknown row(s) {', '.join(sorted(set(wanted) - set(known)))}; known: {', '.join(known)}")
    torch.set_num_threads(a.threads)
    # ClassifierKit's rows flush denormals to zero (Workload.cs, as Trainer.Fit does); the twin does the same, or Net @4
    # would compare a flushed loop with PyTorch's default gradual underflow (25 % apart on Net @4 on 2026-12-06).
    denormals = "flushed to zero" if torch.set_flush_denormal(True) else "kept (this CPU cannot flush them)"
    print(f"denormals: {denormals}", flush=True)
    if a.reuse_memory:
        libc = ctypes.CDLL("libc.so.6")
        ok = (libc.mallopt(-3, 1 << 30) == 1 or libc.mallopt(-3, 32 << 20) == 1) and libc.mallopt(-1, 1 << 30) == 1
        print(f"allocator: freed memory reused ({'on' if ok else 'not available'})", flush=True)
    load_at_start = load_average()
    print(f"PyTorch twin: torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS {blas()}, "
          f"{'QUICK setting' if a.quick else 'full setting'}, {repeats} repeats", flush=True)

    results = []
    for gid in GEMMS:
        if wanted is None or gid in wanted:
            results.append(gemm(gid, repeats, a.quick, a.steps, a.warmup))
            print(f"{gid}: {results[-1]['median']:.1f} GFLOP/s", flush=True)
    data = Data(a.quick)
    for row in ROWS:
        if wanted is not None and row.id not in wanted:
            continue
        steps = a.steps or (min(2, row.steps) if a.quick else row.steps)
        warmup = a.warmup if a.warmup is not None else (1 if a.quick else row.warmup)
        x, y = data.get(row.split)
        timer = blog_loop if row.phase.startswith("blog loop") else time_steps
        rates = timer(row, (x, y), repeats, steps, warmup)
        fpi = flop_per_image(row, tuple(x.shape[1:]))
        med = statistics.median(rates)
        results.append({"id": row.id, "name": row.name, "unit": "images/s", **summary(rates), "model": row.model, "batch": row.batch,
                        "phase": row.phase, "precision": "bfloat16 (autocast)" if row.bf16 else "float32", "steps": steps, "warmup": warmup,
                        "step_ms": 1000 * row.batch / med, "gflop_per_image": fpi / 1e9, "gflops": fpi * med / 1e9})
        print(f"{row.id}: {med:,.1f} images/s, {1000 * row.batch / med:.2f} ms/step ({repeats} x {steps} steps after {warmup} warm-up)", flush=True)

    report = {"tool": "PyTorch", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "setting": "quick" if a.quick else "full",
              "machine": machine(), "threads": torch.get_num_threads(), "repeats": repeats,
              "allocator": "freed memory reused (mallopt)" if a.reuse_memory else "glibc defaults", "denormals": denormals,
              "load_average": {"start": load_at_start, "end": load_average()},
              "versions": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(), "blas": blas()},
              "rows": results}
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()

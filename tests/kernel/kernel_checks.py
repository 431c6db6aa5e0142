#!/usr/bin/env python3
"""Drives the stock .NET Interactive kernel the way a learner does, for the tests in tests/ClassifierKit.Tests/Notebooks.

usage: kernel_checks.py jupyter-interrupt | vscode-cancel | sigint-ignored | rerun-memory | rerun-02|rerun-06|busy-02 jupyter|vscode
Prints one JSON object, as the last line of its output. Run from anywhere; the kernel's working folder is the repository's notebooks/ folder.

jupyter-interrupt  Jupyter's interrupt (SIGINT, the kernelspec's default signal mode) through jupyter_client, during
                   Trainer.Fit, during Evaluation.Evaluate and during EightyTwenty.Run: how long each cell took to end after
                   the interrupt, what it printed, whether the kernel lived and the next cells ran, and whether Fit continued.
vscode-cancel      The same with VS Code's Stop: a Cancel command to the kernel started as VS Code starts it ([vscode] stdio).
sigint-ignored     Starts the Jupyter kernel with SIGINT ignored, as a background launch from a script does, and returns what
                   the notebook support's enable line says about Stop.
rerun-02 FRONTEND  Runs 02-baseline-cnn's own cells up to its first Trainer.Fit cell (on 20,000 training images, so an epoch
                   lasts seconds), presses Stop in that training cell mid-epoch, runs the same cell again to its end, and
                   reads the weights; then runs the set-up cell again and the training cell without a stop, and reads them
                   again.
busy-02 FRONTEND   Starts that training in the background, and runs the training cell while it trains.
rerun-06 FRONTEND  The same with 06-fashion-mnist-lab's own loop (train_and_test) on a TinyVGG and 12,000 images.
rerun-memory       Runs a notebook's data cell (CIFAR-10 loaded, a subset taken, a loader made) 11 times and reads the kernel's
                   resident memory after each run.
"""
import collections
import json, os, signal, sys, time
from contextlib import closing

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEBOOKS = os.path.normpath(os.path.join(HERE, "..", "..", "notebooks"))
sys.path.insert(0, NOTEBOOKS)

SETUP = """#r "../lib/ClassifierKit.Interactive/bin/Release/TorchSharp.dll"
#r "../lib/ClassifierKit.Interactive/bin/Release/ClassifierKit.dll"
#r "../lib/ClassifierKit.Interactive/bin/Release/ClassifierKit.Interactive.dll"
using ClassifierKit.Data;
using ClassifierKit.Models;
using ClassifierKit.Recipes;
using ClassifierKit.Training;
ClassifierKit.Interactive.NotebookSupport.Enable();"""

TRAINER = """var data = Cifar10.Load(train: true);   // 12,500 mini-batches: Fit is still running when the stop comes
var loader = new BatchLoader(data, 4, shuffle: true, normalization: Normalization.Half());
var net = new Net();
var trainer = new Trainer(net, Optimizers.Sgd(net, 0.001), new TrainingOptions { Epochs = 1, PrintEvery = 1000 });
var big = new BatchLoader(Cifar10.Load(train: false), 10, shuffle: false, normalization: Normalization.Half());
var resnet = ResNet.resnet18();"""

LONG_CELLS = [
    ("fit", "trainer.Fit(loader);"),
    ("evaluate", "Evaluation.Evaluate(resnet, big);"),
    ("eighty_twenty", "EightyTwenty.Run();"),
]

AFTER = 'Console.WriteLine($"alive: {trainer.GlobalStep} steps, stopped at {trainer.StoppedAt?.MiniBatchesDone}");'


def due(start, shown, stop_after):
    """When to press Stop: stop_after seconds into the cell, once it shows that its work runs (a progress bar or a line), as
    a learner presses it; a cell that shows nothing is stopped after stop_after anyway, a little later. On a busy machine
    the cell's compilation and data load can take longer than stop_after."""
    now = time.time()
    if shown is not None:
        return now - start >= stop_after and now - shown >= 1
    return now - start >= 4 * stop_after


class Jupyter:
    def __init__(self):
        import jupyter_client
        self.km = jupyter_client.KernelManager(kernel_name=".net-csharp")
        self.km.start_kernel(cwd=NOTEBOOKS, env=dict(os.environ, DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT="1",
                                                        DOTNET_INTERACTIVE_SKIP_FIRST_TIME_EXPERIENCE="1"))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=180)

    def run(self, code, stop_after=None, timeout=600):
        """Runs a cell; with stop_after, interrupts once the cell has run that many seconds. Returns what happened."""
        msg_id = self.kc.execute(code)
        start, stopped, texts, error, shown = time.time(), None, [], None, None
        while True:
            if stop_after is not None and stopped is None and due(start, shown, stop_after):
                self.km.interrupt_kernel()
                stopped = time.time()
            if time.time() - start > timeout:
                return {"timeout": True, "texts": texts}
            try:
                msg = self.kc.get_iopub_msg(timeout=0.1)
            except Exception:
                if not self.km.is_alive():
                    return {"died": True, "texts": texts, "exit": self.km.provisioner.process.poll() if self.km.provisioner else None}
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind in ("stream", "display_data", "update_display_data") and shown is None:
                shown = time.time()
            if kind == "stream":
                texts.append(content["text"])
            elif kind == "error":
                error = f'{content["ename"]}: {content["evalue"]}'
            elif kind == "status" and content["execution_state"] == "idle":
                end = time.time()
                return {"seconds": round(end - start, 2), "after_stop": round(end - stopped, 2) if stopped else None,
                        "error": error, "texts": texts}

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


class VSCode:
    def __init__(self):
        from execute import StdioKernel
        self.k = StdioKernel(NOTEBOOKS)

    def run(self, code, stop_after=None, timeout=600):
        token = self.k.send("SubmitCode", {"code": code, "targetKernelName": "csharp"})
        start, stopped, texts, error, shown = time.time(), None, [], None, None
        others = collections.deque(maxlen=20)   # the last events of other commands (the Cancel's among them): what came instead of a reply
        while True:
            if stop_after is not None and stopped is None and due(start, shown, stop_after):
                cancel = self.k.send("Cancel", {})
                stopped = time.time()
            try:
                event = self.k.wait(lambda e: (e.get("command") or {}).get("token", "").startswith(token), 0.1, others)
            except TimeoutError:
                if time.time() - start > timeout:
                    seen = [f'{e.get("eventType")} of {(e.get("command") or {}).get("commandType", "?")}'
                            f'{" (the Cancel)" if stopped and (e.get("command") or {}).get("token") == cancel else ""}' for e in others]
                    return {"timeout": True, "texts": texts, "cancel_sent_after": round(stopped - start, 2) if stopped else None,
                            "other_events": seen}
                continue
            body = event.get("event", {})
            if event["eventType"] in ("StandardOutputValueProduced", "DisplayedValueProduced", "DisplayedValueUpdated") and shown is None:
                shown = time.time()
            if event["eventType"] == "StandardOutputValueProduced":
                texts += [v["value"] for v in body.get("formattedValues", [])]
            if event["eventType"] in ("CommandSucceeded", "CommandFailed") and event["command"]["token"] == token:
                end = time.time()
                if event["eventType"] == "CommandFailed":
                    error = body.get("message")
                return {"seconds": round(end - start, 2), "after_stop": round(end - stopped, 2) if stopped else None,
                        "error": error, "texts": texts}

    def idle_after_cancel(self, code, timeout=60):
        """After a Cancel the kernel reports the cell at once; this measures when it can run the next cell."""
        start = time.time()
        result = self.run(code, timeout=timeout)
        result["waited"] = round(time.time() - start, 2)
        return result

    def close(self):
        self.k.close()


def log(what, result):
    """Progress on stderr, so a run that hangs says where."""
    print(f"kernel_checks: {what}: {json.dumps({k: v for k, v in result.items() if k != 'texts'})}", file=sys.stderr, flush=True)


def stop_checks(kernel):
    report = {"setup": kernel.run(SETUP), "trainer": kernel.run(TRAINER, timeout=300)}
    log("setup", report["setup"]); log("trainer", report["trainer"])
    for name, code in LONG_CELLS:
        stop = kernel.run(code, stop_after=6, timeout=240)
        log(name, stop)
        nxt = kernel.idle_after_cancel(AFTER) if isinstance(kernel, VSCode) else kernel.run(AFTER, timeout=120)
        log(name + " next", nxt)
        report[name] = {"stop": stop, "next": nxt}
        if stop.get("died") or nxt.get("died"):
            break
    if "fit" in report and not report["fit"]["stop"].get("died"):
        report["continue"] = kernel.run("trainer.Fit(loader);", stop_after=4, timeout=240)
        report["after_continue"] = kernel.run(AFTER, timeout=120)
    return report


def weights(model, steps):
    return ('Console.WriteLine("weights " + string.Join(";", ' + model + '.parameters().Select(p => p.to(ScalarType.Float64).abs().sum().item<double>().ToString("R")))'
            + ' + $" steps {' + steps + '}");')


# Per notebook: its cells run up to the set-up cell, a cell that makes an epoch last seconds (so a stop lands inside one),
# the set-up cell, the training cell, and what to read afterwards.
RERUN = {
    "02": dict(notebook="02-baseline-cnn.ipynb",
               setup=lambda cells: next(c for c in cells if "var trainer5 = " in c),
               train=lambda cells: next(c for c in cells if c.strip().startswith("var history5 = trainer5.Fit(")),
               longer="trainSet = Cifar10.Load(train: true).Take(20_000);",
               weights=weights("net5", "trainer5.GlobalStep} records {trainer5.History.StepRecords.Count} last loss {trainer5.History.StepRecords[^1].Loss:R")),
    "06": dict(notebook="06-fashion-mnist-lab.ipynb",
               upto=lambda cells: next(c for c in cells if "TrainResult train_and_test(" in c),
               setup=lambda cells: "torch.manual_seed(seed);\nvar lab_model = new ClassifierKit.Models.FashionMnistModelV2(1, 10, class_names.Length);",
               train=lambda cells: 'var lab_result = train_and_test(lab_model, "rerun-check");',
               longer="train_dataloader = new BatchLoader(train_data.Take(12_000), BATCH_SIZE, shuffle: true, normalization: toTensor, seed: seed);",
               weights=weights("lab_model", "string.Join(\",\", lab_result.TestAcc.Select(a => a.ToString(\"R\")))")),
}


def rerun(kernel, which, busy=False):
    """Stop a training cell mid-epoch and run it again: it must end where an uninterrupted run ends. With busy: start the
    training in the background instead, and run the training cell while it trains."""
    spec = RERUN[which]
    with open(os.path.join(NOTEBOOKS, spec["notebook"])) as f:
        cells = ["".join(c["source"]) for c in json.load(f)["cells"] if c["cell_type"] == "code"]
    setup, train = spec["setup"](cells), spec["train"](cells)
    last = spec["upto"](cells) if "upto" in spec else setup
    report = {}
    for i, code in enumerate(cells[:cells.index(last) + (1 if "upto" in spec else 0)]):
        r = kernel.run(code, timeout=300)
        if r.get("error") or r.get("died") or r.get("timeout"):
            return {"failed_cell": i, "result": r}
    kernel.run(spec["longer"])
    report["setup"] = kernel.run(setup, timeout=120)
    if busy:
        report["background"] = kernel.run("var background = System.Threading.Tasks.Task.Run(() => trainer5.Fit(loader5, testloader));\n"
                                          "System.Threading.Thread.Sleep(1500);", timeout=60)
        report["while_training"] = kernel.run(train, timeout=60)
        report["background_done"] = kernel.run("background.Wait(); Console.WriteLine(trainer5.GlobalStep);", timeout=240)
        return report
    report["stopped"] = kernel.run(train, stop_after=2, timeout=240)
    if isinstance(kernel, VSCode):
        kernel.idle_after_cancel("1")
    report["continued"] = kernel.run(train, timeout=240)
    report["weights_continued"] = kernel.run(spec["weights"], timeout=60)
    report["again"] = kernel.run(train, timeout=60)
    report["setup_again"] = kernel.run(setup, timeout=120)
    report["uninterrupted"] = kernel.run(train, timeout=240)
    report["weights_uninterrupted"] = kernel.run(spec["weights"], timeout=60)
    return report


def rerun_memory():
    with closing(Jupyter()) as kernel:
        kernel.run(SETUP)
        data_cell = """var trainSet = Cifar10.Load(train: true).Take(4_000);
var testSet = Cifar10.Load(train: false).Take(1_000);
var trainLoader = new BatchLoader(trainSet, 4, shuffle: true, normalization: Normalization.Half());
GC.Collect(); GC.WaitForPendingFinalizers();
Console.WriteLine(System.Diagnostics.Process.GetCurrentProcess().WorkingSet64);"""
        rss = []
        for _ in range(11):
            r = kernel.run(data_cell)
            rss.append(int("".join(r["texts"]).strip().splitlines()[-1]))
        return {"rss_bytes": rss}


def main():
    what = sys.argv[1]
    # A process started in the background by a non-interactive shell (`cmd &`, nohup) inherits SIGINT ignored, and an
    # ignored signal stays ignored across exec: the kernel started below would never see Jupyter's interrupt (the .NET
    # runtime keeps an inherited SIG_IGN). Jupyter's server installs its own SIGINT handler, so the kernels it starts get
    # the default; installing one here does the same (a handled signal is reset to the default in the child).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if what == "rerun-memory":
        report = rerun_memory()
    elif what in ("rerun-02", "rerun-06", "busy-02"):
        with closing(Jupyter() if sys.argv[2] == "jupyter" else VSCode()) as kernel:
            report = rerun(kernel, what[-2:], busy=what.startswith("busy"))
    elif what == "sigint-ignored":
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # what the kernel inherits from a background launch
        with closing(Jupyter()) as kernel:
            report = {"setup": kernel.run(SETUP)}
    else:
        with closing(Jupyter() if what == "jupyter-interrupt" else VSCode()) as kernel:
            report = stop_checks(kernel)
    # One line, the last: the kernels this script starts inherit its stdout and may print there too (first-run banners).
    print(json.dumps(report))


if __name__ == "__main__":
    main()

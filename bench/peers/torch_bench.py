"""PyTorch peer of `npm run bench` (bench/run.ts).

Reads the request (bench/cases.ts, PeerRequest) as JSON from stdin and prints JSON lines:
{"info": {...}} first, then {"key": k, "result": {"median": ms, "min": ms, "n": runs} | {"error": msg}}
per case as it finishes (bench/peers.ts keeps what was printed if the process is killed).
Thread settings come from the environment the caller sets (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS).
Timing as bench/timing.ts: warm-up, then N runs within a time budget, median and min.
"""

import json
import math
import os
import platform
import statistics
import sys
import time


MIN_SAMPLE_MS = 5  # bench/timing.ts MIN_SAMPLE_MS


def emit(obj):
    print(json.dumps(obj), flush=True)


def measure(run, budget, setup=None, predicted_ms=None):
    if predicted_ms is not None and predicted_ms > budget["maxSingleSec"] * 1000:
        return {"skipped": "over the %g s limit of one run" % budget["maxSingleSec"], "estimateMs": predicted_ms}

    def sample(reps):
        # reps back-to-back runs timed together; the figure is the time per run
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        for _ in range(reps):
            run()
        return (time.perf_counter() - t0) * 1000.0 / reps

    try:
        if predicted_ms is not None and predicted_ms > budget["seconds"] * 1000:
            t = sample(1)
            return {"median": t, "min": t, "n": 1, "cold": True}
        warm = sample(1)
        if warm > budget["maxSingleSec"] * 1000:
            return {"median": warm, "min": warm, "n": 1, "cold": True}
        warm2 = sample(1) if warm < 200 else warm
        # runs shorter than MIN_SAMPLE_MS are timed in batches, as bench/timing.ts does
        reps = 1 if setup is not None else max(1, math.ceil(MIN_SAMPLE_MS / max(warm2, 1e-3)))
        if reps > 1:
            warm2 = sample(reps)
        n = max(budget["minRuns"], min(budget["maxRuns"], int(budget["seconds"] * 1000 // max(warm2 * reps, 1e-6))))
        times = [sample(reps) for _ in range(n)]
        out = {"median": statistics.median(times), "min": min(times), "n": n}
        if reps > 1:
            out["reps"] = reps
        return out
    except Exception as e:  # out of memory and the like: reported in the table
        return {"error": str(e).splitlines()[0][:120]}


def loaded_blas():
    """The BLAS libraries this process mapped (Debian's torch takes whatever libblas.so.3 resolves to)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return sorted(os.path.realpath(p) for p in paths)
    except OSError:
        return []


def main():
    req = json.loads(sys.stdin.read())
    budget = req["budget"]
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:
        emit({"info": {"available": False, "reason": str(e)}})
        return
    torch.manual_seed(1234)
    info = {
        "available": True,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "has_sdpa": hasattr(F, "scaled_dot_product_attention"),
        "blas": loaded_blas(),
    }
    emit({"info": info})
    last = {}  # series -> (ms, flops): predicts a slow case from the smaller one before it

    for n in req["gemm"]:
        a = torch.randn(n, n)
        b = torch.randn(n, n)
        emit({"key": f"gemm:{n}", "result": measure(lambda: torch.mm(a, b), budget)})

    for c in req["attention"]:
        shape = (c["B"], c["H"], c["T"], c["d"])
        q, k, v = (torch.randn(shape, requires_grad=c["backward"]) for _ in range(3))
        d_out = torch.randn(shape)
        scale = 1.0 / math.sqrt(c["d"])
        flops = c["B"] * c["H"] * c["T"] ** 2 * c["d"] * (12 if c["backward"] else 4)
        series = "bwd" if c["backward"] else "fwd"
        predicted = last[series][0] * flops / last[series][1] if series in last else None
        if info["has_sdpa"]:
            attn = lambda: F.scaled_dot_product_attention(q, k, v)  # noqa: E731
        else:
            # torch < 2.0: no public fused attention; the explicit formula (what 1.13's private
            # F._scaled_dot_product_attention computes on CPU too)
            attn = lambda: torch.matmul(torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * scale, -1), v)  # noqa: E731
        if c["backward"]:

            def clear():
                q.grad = k.grad = v.grad = None

            r = measure(lambda: attn().backward(d_out), budget, clear, predicted)
        else:

            def fwd():
                with torch.no_grad():
                    attn()

            r = measure(fwd, budget, None, predicted)
        if "median" in r:
            last[series] = (r["median"], flops)
        emit({"key": c["key"], "result": r})

    blk = req.get("block")
    if blk:
        layer = torch.nn.TransformerEncoderLayer(
            blk["dModel"], blk["nhead"], blk["ff"], dropout=0.0, activation="relu", batch_first=True, norm_first=True
        )
        opt = torch.optim.Adam(layer.parameters(), lr=1e-3)
        x = torch.randn(blk["B"], blk["T"], blk["dModel"])
        target = torch.randn(blk["B"], blk["T"], blk["dModel"])

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(layer(x), target)
            loss.backward()
            opt.step()

        emit({"key": blk["key"], "result": measure(step, budget)})


if __name__ == "__main__":
    main()

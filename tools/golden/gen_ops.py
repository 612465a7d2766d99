"""Golden cases for every op of src/ops: forward output and the gradient of every input.

Each case calls one torch function in float64 on seeded inputs, backpropagates a seeded
upstream gradient from every float output (loss = sum(out * upstream)), and stores the
inputs, the op's options under OUR names (see test/ops/ops.golden.test.ts for how each
maps to our call), the outputs, the upstreams and every input gradient.
Writes test/fixtures/golden/ops.json.

Conventions mapped here (ours -> torch):
  axis/keepdim -> dim/keepdim; slice(x, axis, start, end, step) -> x[..., start:end:step];
  where(cond, a, b) / maskedFill(x, mask, value) are the same as torch.where / masked_fill;
  embedding(weight, indices, paddingIdx) -> F.embedding(indices, weight, padding_idx);
  crossEntropy {ignoreIndex, labelSmoothing, reduction} -> F.cross_entropy's keywords;
  scatterAdd with src larger than index: torch's backward refuses that shape, so the
  reference narrows src to index's shape first (the same function of src);
  scaledDotProductAttention {scale, causalOffset, keyPaddingMask (true = padding)} ->
  softmax(q kᵀ·scale with blocked entries at −∞) v, written out explicitly;
  windows(x, start, width) -> gathered rows x[start + c] (zero outside [0, m)), explicit.
Int tensors are int64 in torch and int32 in ours. Non-finite floats are written as the
strings "inf", "-inf", "nan" (JSON has no literal for them).

Regenerate with:  /usr/bin/python3 tools/golden/gen_ops.py
"""
import json
import math
import pathlib

import torch
import torch.nn.functional as F

torch.manual_seed(20240611)
DT = torch.float64


def enc(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def t(x):
    return {
        "shape": list(x.shape),
        "data": [enc(v) for v in x.detach().flatten().tolist()],
        "dtype": str(x.dtype).replace("torch.", ""),
    }


def rand(*shape, scale=1.0, offset=0.0, avoid=0.0):
    x = torch.randn(list(shape), dtype=DT) * scale + offset
    if avoid:
        x = torch.where(x.abs() < avoid, x + torch.sign(x) * avoid, x)
    return x


def pos(*shape, low=0.5, high=2.0):
    return torch.rand(list(shape), dtype=DT) * (high - low) + low


def idx(values):
    return torch.tensor(values, dtype=torch.int64)


def boolt(values):
    return torch.tensor(values, dtype=torch.bool)


def distinct(*shape, scale=1.0):
    """Values without ties (a shuffled evenly spaced grid plus jitter), for max/min/maxPool."""
    n = 1
    for d in shape:
        n *= d
    grid = torch.randperm(n).to(DT) * scale + torch.rand(n, dtype=DT) * 0.5 * scale
    return (grid - grid.mean()).reshape(*shape) / n


cases = []


def case(name, op, inputs, fn, attrs=None, no_grad=()):
    """inputs: dict name -> tensor; fn(*inputs.values()) -> tensor or list of tensors."""
    leaves = {}
    for k, v in inputs.items():
        v = v.clone()
        if v.is_floating_point() and k not in no_grad:
            v.requires_grad_(True)
        leaves[k] = v
    out = fn(*leaves.values())
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    ups = []
    loss = None
    for o in outs:
        if o.is_floating_point() and o.requires_grad:
            up = rand(*o.shape)
            ups.append(up)
            term = (o * up).sum()
            loss = term if loss is None else loss + term
        else:
            ups.append(None)
    grads = {}
    if loss is not None:
        loss.backward()
        for k, v in leaves.items():
            if v.requires_grad:
                grads[k] = t(v.grad if v.grad is not None else torch.zeros_like(v))
    cases.append({
        "name": name,
        "op": op,
        "inputs": {k: t(v) for k, v in leaves.items()},
        "noGrad": [k for k, v in leaves.items() if v.is_floating_point() and not v.requires_grad],
        "attrs": attrs or {},
        "outputs": [t(o) for o in outs],
        "upstreams": [t(u) if u is not None else None for u in ups],
        "grads": grads,
    })


# ---------------------------------------------------------------- elementwise binary
torch_bin = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}
for op, f in torch_bin.items():
    den = (lambda *s: rand(*s, avoid=0.5)) if op == "div" else rand
    case(f"{op} same shape", op, {"a": rand(2, 3, 4), "b": den(2, 3, 4)}, lambda a, b, f=f: f(a, b))
    case(f"{op} [2,3,4] with [4]", op, {"a": rand(2, 3, 4), "b": den(4)}, lambda a, b, f=f: f(a, b))
    case(f"{op} [4] with [2,3,4]", op, {"a": rand(4), "b": den(2, 3, 4)}, lambda a, b, f=f: f(a, b))
    case(f"{op} [2,1,4] with [3,1]", op, {"a": rand(2, 1, 4), "b": den(3, 1)}, lambda a, b, f=f: f(a, b))
    case(f"{op} 0-d with [2,3]", op, {"a": rand(), "b": den(2, 3)}, lambda a, b, f=f: f(a, b))
    case(f"{op} number operand", op, {"a": rand(2, 3)}, lambda a, f=f: f(a, -1.75), {"b": -1.75})

case("pow tensor exponent, broadcast", "pow", {"a": pos(2, 3), "b": rand(3)}, lambda a, b: torch.pow(a, b))
case("pow tensor exponent, same shape", "pow", {"a": pos(2, 3, 2), "b": rand(2, 3, 2)}, lambda a, b: torch.pow(a, b))
case("pow base [3] with exponent [2,3]", "pow", {"a": pos(3), "b": rand(2, 3)}, lambda a, b: torch.pow(a, b))
for e in (2, 3, 0.5, 1.5, -1.5, 0):
    base = rand(2, 3) if float(e).is_integer() else pos(2, 3)
    case(f"pow number exponent {e}", "pow", {"a": base}, lambda a, e=e: torch.pow(a, e), {"b": e})

# ---------------------------------------------------------------- elementwise unary
with_zero = rand(2, 5, avoid=0.05)
with_zero[0, 1] = 0.0
with_zero[1, 3] = 0.0
case("neg", "neg", {"x": rand(2, 3, 4)}, lambda x: -x)
case("exp", "exp", {"x": rand(2, 3, 4)}, torch.exp)
case("log", "log", {"x": pos(2, 3, 4, low=0.1, high=5)}, torch.log)
case("sqrt", "sqrt", {"x": pos(2, 3, 4, low=0.1, high=5)}, torch.sqrt)
case("abs (zeros get gradient 0)", "abs", {"x": with_zero}, torch.abs)
case("tanh", "tanh", {"x": rand(2, 3, 4, scale=2)}, torch.tanh)
case("sigmoid", "sigmoid", {"x": rand(2, 3, 4, scale=4)}, torch.sigmoid)
case("relu (zeros get gradient 0)", "relu", {"x": with_zero}, torch.relu)
case("gelu exact", "gelu", {"x": rand(2, 3, 4, scale=2.5)}, lambda x: F.gelu(x), {"approximate": "none"})
case("gelu tanh", "gelu", {"x": rand(2, 3, 4, scale=2.5)}, lambda x: F.gelu(x, approximate="tanh"),
     {"approximate": "tanh"})
case("clone", "clone", {"x": rand(2, 3)}, torch.clone)
at_bounds = rand(3, 4)
at_bounds[0, 0] = -0.5
at_bounds[1, 2] = 0.5
case("clamp both (values at the bounds pass the gradient)", "clamp", {"x": at_bounds},
     lambda x: torch.clamp(x, -0.5, 0.5), {"min": -0.5, "max": 0.5})
case("clamp min only", "clamp", {"x": rand(3, 4)}, lambda x: torch.clamp(x, min=0.2), {"min": 0.2, "max": None})
case("clamp max only", "clamp", {"x": rand(3, 4)}, lambda x: torch.clamp(x, max=-0.1), {"min": None, "max": -0.1})

# ---------------------------------------------------------------- comparisons, logic, where
ca = rand(2, 3).round()
cb = rand(3).round()  # rounded: some equal pairs
for op, f in {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge}.items():
    case(f"{op} broadcast", op, {"a": ca, "b": cb}, f)
    case(f"{op} number", op, {"a": ca}, lambda a, f=f: f(a, 0.0), {"b": 0})
ba = boolt([[True, False, True], [False, False, True]])
bb = boolt([True, False, False])
case("logicalAnd broadcast", "logicalAnd", {"a": ba, "b": bb}, torch.logical_and)
case("logicalOr broadcast", "logicalOr", {"a": ba, "b": bb}, torch.logical_or)
case("logicalNot", "logicalNot", {"x": ba}, torch.logical_not)
cond = boolt([[True, False, True], [False, True, True]])
case("where same shape", "where", {"cond": cond, "a": rand(2, 3), "b": rand(2, 3)}, torch.where)
case("where broadcast cond [3], a [2,1], b [2,3]", "where", {"cond": boolt([True, False, True]), "a": rand(2, 1),
                                                             "b": rand(2, 3)}, torch.where)
case("where number b", "where", {"cond": cond, "a": rand(2, 3)}, lambda cond, a: torch.where(cond, a, -2.5),
     {"b": -2.5})
case("where number a", "where", {"cond": cond, "b": rand(2, 3)}, lambda cond, b: torch.where(cond, 1.25, b),
     {"a": 1.25})
case("maskedFill same shape", "maskedFill", {"x": rand(2, 3), "mask": cond},
     lambda x, mask: x.masked_fill(mask, -3.0), {"value": -3})
case("maskedFill broadcast mask [1,3,1]", "maskedFill", {"x": rand(2, 3, 4), "mask": boolt([[[True], [False], [True]]])},
     lambda x, mask: x.masked_fill(mask, float("-inf")), {"value": "-inf"})

# ---------------------------------------------------------------- linear algebra
mm = [
    ("matmul 2-D", [3, 4], [4, 5]),
    ("matmul batched", [2, 3, 4], [2, 4, 5]),
    ("matmul batch broadcast [2,1,3,4]·[3,4,2]", [2, 1, 3, 4], [3, 4, 2]),
    ("matmul batch broadcast [1,3,4]·[2,4,2]", [1, 3, 4], [2, 4, 2]),
    ("matmul shared right [2,3,4]·[4,5]", [2, 3, 4], [4, 5]),
    ("matmul shared left [3,4]·[2,4,5]", [3, 4], [2, 4, 5]),
    ("matmul 1-D·2-D", [4], [4, 3]),
    ("matmul 2-D·1-D", [3, 4], [4]),
    ("matmul 1-D·batched", [4], [2, 4, 3]),
    ("matmul batched·1-D", [2, 3, 4], [4]),
]
for name, sa, sb in mm:
    case(name, "matmul", {"a": rand(*sa), "b": rand(*sb)}, torch.matmul)
case("linear with bias [2,3,4]", "linear", {"x": rand(2, 3, 4), "weight": rand(5, 4), "bias": rand(5)}, F.linear)
case("linear no bias [3,4]", "linear", {"x": rand(3, 4), "weight": rand(2, 4)}, F.linear)
case("linear 1-D input", "linear", {"x": rand(4), "weight": rand(3, 4), "bias": rand(3)}, F.linear)

# ---------------------------------------------------------------- reductions
for op, f in {"sum": torch.sum, "mean": torch.mean}.items():
    case(f"{op} all", op, {"x": rand(2, 3, 4)}, f, {"axis": None, "keepdim": False})
    case(f"{op} axis 1", op, {"x": rand(2, 3, 4)}, lambda x, f=f: f(x, 1), {"axis": 1, "keepdim": False})
    case(f"{op} axis -1 keepdim", op, {"x": rand(2, 3, 4)}, lambda x, f=f: f(x, -1, keepdim=True),
         {"axis": -1, "keepdim": True})
    case(f"{op} axes [0,2]", op, {"x": rand(2, 3, 4)}, lambda x, f=f: f(x, [0, 2]), {"axis": [0, 2], "keepdim": False})
    case(f"{op} axes [2,0] keepdim", op, {"x": rand(2, 3, 4)}, lambda x, f=f: f(x, [2, 0], keepdim=True),
         {"axis": [2, 0], "keepdim": True})
for op in ("max", "min"):
    tf = getattr(torch, op)
    am = getattr(torch, "a" + op)
    case(f"{op} all (no ties)", op, {"x": distinct(3, 4)}, tf, {"axis": None, "keepdim": False})
    case(f"{op} all keepdim (no ties)", op, {"x": distinct(2, 3, 4)}, lambda x, am=am: am(x, [0, 1, 2], keepdim=True),
         {"axis": None, "keepdim": True})
    case(f"{op} axis 1 (no ties)", op, {"x": distinct(2, 3, 4)}, lambda x, tf=tf: tf(x, 1).values,
         {"axis": 1, "keepdim": False})
    case(f"{op} axis -1 keepdim (no ties)", op, {"x": distinct(2, 3, 4)},
         lambda x, tf=tf: tf(x, -1, keepdim=True).values, {"axis": -1, "keepdim": True})
    case(f"{op} axis 0 (no ties)", op, {"x": distinct(2, 3, 4)}, lambda x, tf=tf: tf(x, 0).values,
         {"axis": 0, "keepdim": False})
    # with an axis, both give the whole gradient to the first extreme among ties (torch CPU)
    ties = torch.tensor([[1.0, 3.0, 3.0, 2.0], [0.5, 0.5, 1.0, 0.5]], dtype=DT)
    if op == "min":
        ties = -ties
    case(f"{op} axis 1 with ties (first index gets the gradient)", op, {"x": ties}, lambda x, tf=tf: tf(x, 1).values,
         {"axis": 1, "keepdim": False})
for op in ("argmax", "argmin"):
    tf = getattr(torch, op)
    case(f"{op} all", op, {"x": distinct(3, 4)}, tf, {"axis": None, "keepdim": False})
    case(f"{op} axis 1", op, {"x": distinct(2, 3, 4)}, lambda x, tf=tf: tf(x, 1), {"axis": 1, "keepdim": False})
    case(f"{op} axis -1 keepdim", op, {"x": distinct(2, 3, 4)}, lambda x, tf=tf: tf(x, -1, keepdim=True),
         {"axis": -1, "keepdim": True})
    ties = torch.tensor([[1.0, 3.0, 3.0, 2.0], [0.5, 0.5, 1.0, 0.5]], dtype=DT)
    case(f"{op} axis 1 with ties (first index)", op, {"x": ties if op == "argmax" else -ties},
         lambda x, tf=tf: tf(x, 1), {"axis": 1, "keepdim": False})
case("logSumExp axis 1", "logSumExp", {"x": rand(3, 5, scale=3)}, lambda x: torch.logsumexp(x, 1),
     {"axis": 1, "keepdim": False})
case("logSumExp axes [0,2] keepdim", "logSumExp", {"x": rand(2, 3, 4, scale=3)},
     lambda x: torch.logsumexp(x, [0, 2], keepdim=True), {"axis": [0, 2], "keepdim": True})
case("logSumExp large values", "logSumExp", {"x": rand(2, 4, scale=3, offset=800)}, lambda x: torch.logsumexp(x, -1),
     {"axis": -1, "keepdim": False})
lse_inf = rand(2, 4)
lse_inf[0, 1] = float("-inf")
lse_inf[1, 0] = float("-inf")
lse_inf[1, 3] = float("-inf")
case("logSumExp with -inf entries", "logSumExp", {"x": lse_inf}, lambda x: torch.logsumexp(x, -1),
     {"axis": -1, "keepdim": False})

# ---------------------------------------------------------------- softmax family
for op, f in {"softmax": torch.softmax, "logSoftmax": torch.log_softmax}.items():
    case(f"{op} last axis", op, {"x": rand(2, 3, 5, scale=2)}, lambda x, f=f: f(x, -1), {"axis": -1})
    case(f"{op} axis 1", op, {"x": rand(2, 3, 4, scale=2)}, lambda x, f=f: f(x, 1), {"axis": 1})
    case(f"{op} axis 0", op, {"x": rand(3, 4, scale=2)}, lambda x, f=f: f(x, 0), {"axis": 0})
    case(f"{op} large logits", op, {"x": rand(2, 4, scale=5, offset=1000)}, lambda x, f=f: f(x, -1), {"axis": -1})
    sm_inf = rand(2, 4)
    sm_inf[0, 2] = float("-inf")
    sm_inf[1, 0] = float("-inf")
    sm_inf[1, 1] = float("-inf")
    if op == "softmax":  # log_softmax is −∞ there, and its upstream·(−∞) would poison the loss
        case(f"{op} with -inf entries", op, {"x": sm_inf}, lambda x, f=f: f(x, -1), {"axis": -1})

# ---------------------------------------------------------------- shape
case("reshape [2,3,4]->[6,-1]", "reshape", {"x": rand(2, 3, 4)}, lambda x: x.reshape(6, -1), {"shape": [6, -1]})
case("reshape to 0-d", "reshape", {"x": rand(1, 1)}, lambda x: x.reshape([]), {"shape": []})
case("flatten 1..2", "flatten", {"x": rand(2, 3, 4, 2)}, lambda x: torch.flatten(x, 1, 2), {"start": 1, "end": 2})
case("flatten all", "flatten", {"x": rand(2, 3, 4)}, torch.flatten, {"start": 0, "end": -1})
case("permute [2,0,1]", "permute", {"x": rand(2, 3, 4)}, lambda x: x.permute(2, 0, 1), {"axes": [2, 0, 1]})
case("permute [1,3,0,2]", "permute", {"x": rand(2, 3, 4, 2)}, lambda x: x.permute(1, 3, 0, 2), {"axes": [1, 3, 0, 2]})
case("transpose 0,2", "transpose", {"x": rand(2, 3, 4)}, lambda x: x.transpose(0, 2), {"axis0": 0, "axis1": 2})
case("transpose -2,-1", "transpose", {"x": rand(2, 3, 4)}, lambda x: x.transpose(-2, -1), {"axis0": -2, "axis1": -1})
case("expand [3,1]->[2,3,4]", "expand", {"x": rand(3, 1)}, lambda x: x.expand(2, 3, 4), {"shape": [2, 3, 4]})
case("expand with -1", "expand", {"x": rand(1, 4)}, lambda x: x.expand(3, -1), {"shape": [3, -1]})
case("expand 0-d", "expand", {"x": rand()}, lambda x: x.expand(2, 3), {"shape": [2, 3]})
for name, axis, start, end, step in [
    ("slice axis 1 [1:5:2]", 1, 1, 5, 2),
    ("slice axis -1 [-3:]", -1, -3, None, 1),
    ("slice axis 0 [0:1]", 0, 0, 1, 1),
    ("slice past the end [2:100:3]", 1, 2, 100, 3),
    ("slice negative both [-5:-1]", 1, -5, -1, 1),
]:
    def sl(x, axis=axis, start=start, end=end, step=step):
        key = [slice(None)] * x.dim()
        key[axis] = slice(start, end, step)
        return x[tuple(key)]
    case(name, "slice", {"x": rand(2, 6, 3)}, sl, {"axis": axis, "start": start, "end": end, "step": step})
case("select axis 1 index -1", "select", {"x": rand(2, 3, 4)}, lambda x: x.select(1, -1), {"axis": 1, "index": -1})
case("select axis 0 index 1", "select", {"x": rand(2, 3, 4)}, lambda x: x.select(0, 1), {"axis": 0, "index": 1})
case("squeeze axis 1", "squeeze", {"x": rand(3, 1, 2)}, lambda x: x.squeeze(1), {"axis": 1})
case("squeeze all", "squeeze", {"x": rand(1, 3, 1, 2)}, lambda x: x.squeeze(), {"axis": None})
case("squeeze non-1 axis is a no-op", "squeeze", {"x": rand(3, 2)}, lambda x: x.squeeze(0), {"axis": 0})
case("unsqueeze 0", "unsqueeze", {"x": rand(3, 2)}, lambda x: x.unsqueeze(0), {"axis": 0})
case("unsqueeze -1", "unsqueeze", {"x": rand(3, 2)}, lambda x: x.unsqueeze(-1), {"axis": -1})
case("concat axis 1, three tensors", "concat", {"t0": rand(2, 3, 2), "t1": rand(2, 1, 2), "t2": rand(2, 4, 2)},
     lambda t0, t1, t2: torch.cat([t0, t1, t2], 1), {"axis": 1})
case("concat axis -1", "concat", {"t0": rand(2, 3), "t1": rand(2, 2)}, lambda t0, t1: torch.cat([t0, t1], -1),
     {"axis": -1})
case("stack axis 0", "stack", {"t0": rand(2, 3), "t1": rand(2, 3), "t2": rand(2, 3)},
     lambda t0, t1, t2: torch.stack([t0, t1, t2], 0), {"axis": 0})
case("stack axis -1", "stack", {"t0": rand(2, 3), "t1": rand(2, 3)}, lambda t0, t1: torch.stack([t0, t1], -1),
     {"axis": -1})
case("split sizes [1,3] axis 1", "split", {"x": rand(2, 4, 3)}, lambda x: torch.split(x, [1, 3], 1),
     {"sizes": [1, 3], "axis": 1})
case("split chunks of 2 (last shorter)", "split", {"x": rand(5, 3)}, lambda x: torch.split(x, 2, 0),
     {"sizes": 2, "axis": 0})
case("pad last axis", "pad", {"x": rand(2, 3)}, lambda x: F.pad(x, (1, 2)), {"pads": [1, 2], "value": 0})
case("pad two axes with a value", "pad", {"x": rand(2, 3, 4)}, lambda x: F.pad(x, (1, 2, 0, 1), value=0.5),
     {"pads": [1, 2, 0, 1], "value": 0.5})
case("pad three axes", "pad", {"x": rand(2, 3, 2)}, lambda x: F.pad(x, (0, 1, 2, 0, 1, 1), value=-1.0),
     {"pads": [0, 1, 2, 0, 1, 1], "value": -1})
case("cast float64 -> float64", "cast", {"x": rand(2, 3)}, lambda x: x.to(DT), {"dtype": "float64"})
case("cast float64 -> int32 (truncates)", "cast", {"x": rand(2, 3, scale=3)}, lambda x: x.to(torch.int32),
     {"dtype": "int32"})
case("arange 0..5 step 0.5", "arange", {}, lambda: torch.arange(0, 5, 0.5, dtype=DT),
     {"start": 0, "end": 5, "step": 0.5, "dtype": "float64"})
case("arange -3..7 step 3", "arange", {}, lambda: torch.arange(-3, 7, 3, dtype=DT),
     {"start": -3, "end": 7, "step": 3, "dtype": "float64"})

# ---------------------------------------------------------------- indexing
case("gather axis 1 (repeats)", "gather", {"x": rand(3, 4), "index": idx([[0, 0, 3], [2, 1, 2], [3, 3, 3]])},
     lambda x, index: torch.gather(x, 1, index), {"axis": 1})
case("gather axis 0, index smaller off-axis", "gather", {"x": rand(3, 4, 2), "index": idx([[[2], [0]], [[1], [1]]])},
     lambda x, index: torch.gather(x, 0, index), {"axis": 0})
case("gather axis -1 on [2,3,4]", "gather", {"x": rand(2, 3, 4), "index": torch.randint(0, 4, (2, 3, 5))},
     lambda x, index: torch.gather(x, -1, index), {"axis": -1})
case("scatterAdd axis 1 (repeats accumulate)", "scatterAdd",
     {"x": rand(3, 4), "index": idx([[0, 0, 3], [2, 1, 2], [3, 3, 3]]), "src": rand(3, 3)},
     lambda x, index, src: x.scatter_add(1, index, src), {"axis": 1})
case("scatterAdd axis 0", "scatterAdd",
     {"x": rand(3, 2), "index": idx([[0, 1], [2, 2], [0, 0], [1, 2]]), "src": rand(4, 2)},
     lambda x, index, src: x.scatter_add(0, index, src), {"axis": 0})
case("scatterAdd src larger than index", "scatterAdd",
     {"x": rand(3, 4), "index": idx([[0, 1], [2, 2], [1, 0]]), "src": rand(3, 5)},
     lambda x, index, src: x.scatter_add(1, index, src[:, :2]), {"axis": 1})
case("indexSelect axis 0 (repeats)", "indexSelect", {"x": rand(4, 3), "index": idx([3, 0, 3, 1])},
     lambda x, index: torch.index_select(x, 0, index), {"axis": 0})
case("indexSelect axis 1 of [2,3,4]", "indexSelect", {"x": rand(2, 3, 4), "index": idx([2, 2, 0])},
     lambda x, index: torch.index_select(x, 1, index), {"axis": 1})
case("indexSelect axis -1", "indexSelect", {"x": rand(2, 3, 4), "index": idx([1, 3])},
     lambda x, index: torch.index_select(x, -1, index), {"axis": -1})
case("embedding [2,3] indices", "embedding", {"weight": rand(5, 4), "indices": idx([[0, 4, 4], [2, 0, 1]])},
     lambda weight, indices: F.embedding(indices, weight), {"paddingIdx": None})
case("embedding paddingIdx 0 (no gradient for that row)", "embedding",
     {"weight": rand(5, 3), "indices": idx([[0, 2, 0, 4], [1, 0, 2, 2]])},
     lambda weight, indices: F.embedding(indices, weight, padding_idx=0), {"paddingIdx": 0})
case("embedding paddingIdx 3, 1-D indices", "embedding", {"weight": rand(4, 2), "indices": idx([3, 1, 3, 0])},
     lambda weight, indices: F.embedding(indices, weight, padding_idx=3), {"paddingIdx": 3})


def windows_ref(x, start, width):
    lead = x.shape[:-2]
    m, d = x.shape[-2], x.shape[-1]
    n = start.shape[-1]
    xb = x.reshape(-1, m, d)
    sb = start.reshape(-1, n)
    pos_ = sb[:, :, None] + torch.arange(width)  # [B, n, w]
    valid = (pos_ >= 0) & (pos_ < m)
    rows = xb[torch.arange(xb.shape[0])[:, None, None], pos_.clamp(0, m - 1)]  # [B, n, w, d]
    return (rows * valid[..., None]).reshape(*lead, n, width, d)


case("windows width 3, edges zero-filled", "windows", {"x": rand(2, 5, 3), "start": idx([[-1, 0, 2, 4], [1, 3, -2, 2]])},
     lambda x, start: windows_ref(x, start, 3), {"width": 3})
case("windows two lead axes", "windows", {"x": rand(2, 2, 4, 2), "start": idx([[[0, 2], [1, 3]], [[-1, 1], [2, 2]]])},
     lambda x, start: windows_ref(x, start, 2), {"width": 2})

# ---------------------------------------------------------------- nn
case("layerNorm affine [2,3,4] over [4]", "layerNorm", {"x": rand(2, 3, 4), "weight": rand(4), "bias": rand(4)},
     lambda x, weight, bias: F.layer_norm(x, [4], weight, bias), {"normalizedShape": [4], "eps": 1e-5})
case("layerNorm no affine", "layerNorm", {"x": rand(2, 3, 4, scale=3, offset=1)}, lambda x: F.layer_norm(x, [4]),
     {"normalizedShape": [4], "eps": 1e-5})
case("layerNorm over two axes, affine", "layerNorm", {"x": rand(2, 3, 4), "weight": rand(3, 4), "bias": rand(3, 4)},
     lambda x, weight, bias: F.layer_norm(x, [3, 4], weight, bias), {"normalizedShape": [3, 4], "eps": 1e-5})
case("layerNorm weight only, eps 1e-3", "layerNorm", {"x": rand(3, 5), "weight": rand(5)},
     lambda x, weight: F.layer_norm(x, [5], weight, None, 1e-3), {"normalizedShape": [5], "eps": 1e-3})
case("layerNorm bias only", "layerNorm", {"x": rand(3, 5), "bias": rand(5)},
     lambda x, bias: F.layer_norm(x, [5], None, bias), {"normalizedShape": [5], "eps": 1e-5})
case("dropout eval p=0.5 is the identity", "dropout", {"x": rand(2, 3)}, lambda x: F.dropout(x, 0.5, training=False),
     {"p": 0.5, "training": False})
case("dropout training p=0 is the identity", "dropout", {"x": rand(2, 3)}, lambda x: F.dropout(x, 0.0, training=True),
     {"p": 0, "training": True})


def ce_case(name, logits, target, **kw):
    ours = {}
    if "ignore_index" in kw:
        ours["ignoreIndex"] = kw["ignore_index"]
    if "label_smoothing" in kw:
        ours["labelSmoothing"] = kw["label_smoothing"]
    if "reduction" in kw:
        ours["reduction"] = kw["reduction"]
    case(name, "crossEntropy", {"logits": logits, "target": target},
         lambda logits, target: F.cross_entropy(logits, target, **kw), {"options": ours})


tgt = idx([1, 0, 4, 2])
for red in ("mean", "sum", "none"):
    ce_case(f"crossEntropy [N,C] {red}", rand(4, 5, scale=2), tgt, reduction=red)
ce_case("crossEntropy default -100 targets ignored", rand(4, 5), idx([1, -100, 4, -100]))
ce_case("crossEntropy ignoreIndex 2 mean", rand(4, 5), idx([2, 0, 2, 3]), ignore_index=2)
ce_case("crossEntropy ignoreIndex 2 none", rand(4, 5), idx([2, 0, 2, 3]), ignore_index=2, reduction="none")
for red in ("mean", "sum", "none"):
    ce_case(f"crossEntropy labelSmoothing 0.1 {red}", rand(4, 5, scale=2), tgt, label_smoothing=0.1, reduction=red)
ce_case("crossEntropy labelSmoothing 0.2 with ignoreIndex", rand(4, 5), idx([0, 3, 3, 1]), ignore_index=3,
        label_smoothing=0.2)
ce_case("crossEntropy labelSmoothing 1", rand(3, 4), idx([0, 3, 1]), label_smoothing=1.0)
ce_case("crossEntropy [N,C,d] mean", rand(2, 4, 3), idx([[0, 3, 1], [2, 2, 0]]))
ce_case("crossEntropy [N,C,d] none", rand(2, 4, 3), idx([[0, 3, 1], [2, 2, 0]]), reduction="none")
ce_case("crossEntropy [N,C,d] ignoreIndex + smoothing sum", rand(2, 4, 3), idx([[0, -1, 1], [2, -1, 3]]),
        ignore_index=-1, label_smoothing=0.15, reduction="sum")
ce_case("crossEntropy [N,C,d1,d2] mean", rand(2, 3, 2, 2), idx([[[0, 1], [2, 2]], [[1, 0], [0, 2]]]))
ce_case("crossEntropy unbatched [C]", rand(5), idx(3))
for red in ("mean", "sum", "none"):
    case(f"nllLoss {red}", "nllLoss", {"logProbs": torch.log_softmax(rand(4, 5), -1), "target": tgt},
         lambda logProbs, target, red=red: F.nll_loss(logProbs, target, reduction=red),
         {"options": {"reduction": red}})
case("nllLoss ignoreIndex 0 mean", "nllLoss", {"logProbs": rand(4, 3), "target": idx([0, 2, 0, 1])},
     lambda logProbs, target: F.nll_loss(logProbs, target, ignore_index=0), {"options": {"ignoreIndex": 0}})
case("nllLoss default -100 ignored, sum", "nllLoss", {"logProbs": rand(3, 3), "target": idx([-100, 2, 1])},
     lambda logProbs, target: F.nll_loss(logProbs, target, reduction="sum"), {"options": {"reduction": "sum"}})
for red in ("mean", "sum", "none"):
    case(f"mse {red}", "mse", {"a": rand(2, 3, 4), "b": rand(2, 3, 4)},
         lambda a, b, red=red: F.mse_loss(a, b, reduction=red), {"reduction": red})

# ---------------------------------------------------------------- conv / pool


def conv_case(name, x, weight, bias, **kw):
    ins = {"x": x, "weight": weight}
    if bias is not None:
        ins["bias"] = bias

    def fn(x, weight, bias=None):
        return F.conv2d(x, weight, bias, **kw)

    case(name, "conv2d", ins, fn, {"options": {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}})


conv_case("conv2d 3x3 with bias", rand(2, 3, 5, 5), rand(4, 3, 3, 3), rand(4))
conv_case("conv2d no bias, stride 2, padding 1", rand(2, 2, 6, 5), rand(3, 2, 3, 3), None, stride=2, padding=1)
conv_case("conv2d dilation 2, padding 2", rand(1, 2, 6, 6), rand(2, 2, 3, 3), rand(2), padding=2, dilation=2)
conv_case("conv2d pairs: 2x3 kernel, stride (1,2), padding (1,0), dilation (2,1)", rand(2, 2, 6, 7),
          rand(3, 2, 2, 3), rand(3), stride=(1, 2), padding=(1, 0), dilation=(2, 1))
conv_case("conv2d 1x1", rand(2, 3, 3, 4), rand(5, 3, 1, 1), rand(5))


def pool_case(name, x, k, **kw):
    case(name, "maxPool2d", {"x": x}, lambda x: F.max_pool2d(x, k, **kw),
         {"kernelSize": list(k) if isinstance(k, tuple) else k,
          "options": {a: list(v) if isinstance(v, tuple) else v for a, v in kw.items()}})


pool_case("maxPool2d 2x2 (stride defaults to kernel)", distinct(2, 2, 4, 6), 2)
pool_case("maxPool2d 3x3 stride 1 (overlapping windows)", distinct(1, 2, 5, 5), 3, stride=1)
pool_case("maxPool2d 3x3 stride 2 padding 1", distinct(2, 1, 5, 6), 3, stride=2, padding=1)
pool_case("maxPool2d 2x3 kernel, stride (1,2), padding (1,1)", distinct(1, 2, 4, 5), (2, 3), stride=(1, 2),
          padding=(1, 1))
pool_case("maxPool2d dilation 2", distinct(1, 2, 6, 6), 2, stride=1, dilation=2)

# ---------------------------------------------------------------- scaled dot-product attention


def sdpa_ref(q, k, v, scale=None, causal=None, pad=None):
    d = q.shape[-1]
    s = torch.matmul(q, k.transpose(-2, -1)) * (scale if scale is not None else 1 / math.sqrt(d))
    n, m = s.shape[-2], s.shape[-1]
    if causal is not None:
        allowed = torch.arange(m)[None, :] <= torch.arange(n)[:, None] + causal
        s = s.masked_fill(~allowed, float("-inf"))
    if pad is not None:
        B = pad.shape[0]
        s = s.masked_fill(pad.reshape(B, *([1] * (s.dim() - 2)), m), float("-inf"))
    return torch.matmul(torch.softmax(s, -1), v)


def sdpa_case(name, q, k, v, scale=None, causal=None, pad=None):
    ins = {"q": q, "k": k, "v": v}
    opts = {}
    if scale is not None:
        opts["scale"] = scale
    if causal is not None:
        opts["causalOffset"] = causal
    if pad is not None:
        ins["keyPaddingMask"] = pad
        opts["keyPaddingMask"] = "keyPaddingMask"

    def fn(q, k, v, keyPaddingMask=None):
        return sdpa_ref(q, k, v, scale, causal, keyPaddingMask)

    case(name, "scaledDotProductAttention", ins, fn, {"options": opts})


sdpa_case("sdpa [B,n,d] cross, dv != d", rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 3))
sdpa_case("sdpa [B,h,n,d] self", rand(2, 2, 4, 3), rand(2, 2, 4, 3), rand(2, 2, 4, 3))
sdpa_case("sdpa causal self", rand(2, 2, 4, 3), rand(2, 2, 4, 3), rand(2, 2, 4, 3), causal=0)
sdpa_case("sdpa causal offset 2 (n=3, m=5)", rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 4), causal=2)
sdpa_case("sdpa key padding", rand(2, 2, 3, 4), rand(2, 2, 5, 4), rand(2, 2, 5, 2),
          pad=boolt([[False, False, False, True, True], [False, True, False, False, True]]))
sdpa_case("sdpa causal + key padding, scale 0.3", rand(2, 4, 3), rand(2, 4, 3), rand(2, 4, 3), scale=0.3, causal=0,
          pad=boolt([[False, False, True, True], [False, False, False, True]]))
sdpa_case("sdpa k, v shared across heads [B,1,m,d]", rand(2, 3, 2, 4), rand(2, 1, 5, 4), rand(2, 1, 5, 4))
sdpa_case("sdpa large scores", rand(1, 3, 4, scale=6), rand(1, 4, 4, scale=6), rand(1, 4, 2))

# ---------------------------------------------------------------- edge values and more broadcasting
NAN, INF = float("nan"), float("inf")
case("div [2,3] by 0-d tensor", "div", {"a": rand(2, 3), "b": rand(avoid=0.5)}, torch.div)
case("pow [2,3] with 0-d exponent tensor", "pow", {"a": pos(2, 3), "b": rand()}, torch.pow)
case("pow base 0 with exponents 2, 3, 0, 1 (tensor exponent)", "pow",
     {"a": torch.tensor([0.0, 0.0, 0.0, 0.0, 1.5], dtype=DT), "b": torch.tensor([2.0, 3.0, 0.0, 1.0, 2.5], dtype=DT)},
     torch.pow)
case("pow base 0, number exponent 0.5 (infinite gradient)", "pow", {"a": torch.tensor([0.0, 2.0], dtype=DT)},
     lambda a: torch.pow(a, 0.5), {"b": 0.5})
case("where cond [2,3], a [3], b 0-d", "where", {"cond": cond, "a": rand(3), "b": rand()}, torch.where)
case("gelu exact at extremes", "gelu", {"x": torch.tensor([-10, -6.5, -5.9, -3, 0, 3, 5.9, 6.5, 8], dtype=DT)},
     lambda x: F.gelu(x), {"approximate": "none"})
case("gelu tanh at extremes", "gelu", {"x": torch.tensor([-10, -6.5, -5.9, -3, 0, 3, 5.9, 6.5, 8], dtype=DT)},
     lambda x: F.gelu(x, approximate="tanh"), {"approximate": "tanh"})
case("sigmoid at extremes", "sigmoid", {"x": torch.tensor([-800, -40, -5, 0, 5, 40, 800], dtype=DT)}, torch.sigmoid)
case("tanh at extremes", "tanh", {"x": torch.tensor([-30, -5, 0, 5, 30], dtype=DT)}, torch.tanh)
case("sum all keepdim", "sum", {"x": rand(2, 3, 4)}, lambda x: torch.sum(x, [0, 1, 2], keepdim=True),
     {"axis": None, "keepdim": True})
case("mean all keepdim", "mean", {"x": rand(2, 3)}, lambda x: torch.mean(x, [0, 1], keepdim=True),
     {"axis": None, "keepdim": True})
case("max axis 1 with NaN (the NaN wins and gets the gradient)", "max",
     {"x": torch.tensor([[1.0, NAN, 3.0], [2.0, 5.0, 4.0]], dtype=DT)}, lambda x: torch.max(x, 1).values,
     {"axis": 1, "keepdim": False})
case("min axis 0 with NaN", "min", {"x": torch.tensor([[1.0, 2.0], [NAN, -1.0], [0.5, 3.0]], dtype=DT)},
     lambda x: torch.min(x, 0).values, {"axis": 0, "keepdim": False})
case("argmax with NaN", "argmax", {"x": torch.tensor([[1.0, NAN, 3.0], [2.0, 5.0, 4.0]], dtype=DT)},
     lambda x: torch.argmax(x, 1), {"axis": 1, "keepdim": False})
case("argmin with NaN", "argmin", {"x": torch.tensor([[1.0, -2.0, NAN], [2.0, 5.0, 4.0]], dtype=DT)},
     lambda x: torch.argmin(x, 1), {"axis": 1, "keepdim": False})
case("softmax with NaN poisons its row only", "softmax", {"x": torch.tensor([[1.0, NAN, 3.0], [2.0, 5.0, 4.0]], dtype=DT)},
     lambda x: torch.softmax(x, -1), {"axis": -1})
ls_inf = rand(2, 4)
ls_inf[0, 2] = -INF
ls_inf[1, 0] = -INF
case("logSoftmax with -inf entries", "logSoftmax", {"x": ls_inf}, lambda x: torch.log_softmax(x, -1), {"axis": -1})
const_row = rand(3, 4)
const_row[1] = 0.75
case("layerNorm with a constant row", "layerNorm", {"x": const_row, "weight": rand(4), "bias": rand(4)},
     lambda x, weight, bias: F.layer_norm(x, [4], weight, bias), {"normalizedShape": [4], "eps": 1e-5})
pool_case("maxPool2d all-negative input with padding (padding never wins)", -pos(1, 2, 5, 5, low=1, high=9), 3,
          stride=2, padding=1)
pool_case("maxPool2d with NaN", torch.tensor([[[[1.0, NAN, 0.0, 2.0], [3.0, 2.0, 5.0, 4.0]]]], dtype=DT), 2)
ce_case("crossEntropy [N,C,d] mean + labelSmoothing", rand(2, 4, 3), idx([[0, 3, 1], [2, 2, 0]]), label_smoothing=0.3)
ce_case("crossEntropy none + labelSmoothing + ignoreIndex", rand(4, 5), idx([1, 7, 4, 7]), ignore_index=7,
        label_smoothing=0.25, reduction="none")
case("nllLoss none with ignoreIndex", "nllLoss", {"logProbs": rand(4, 3), "target": idx([0, 2, 0, 1])},
     lambda logProbs, target: F.nll_loss(logProbs, target, ignore_index=0, reduction="none"),
     {"options": {"ignoreIndex": 0, "reduction": "none"}})
case("concat with a non-differentiable input", "concat", {"t0": rand(2, 2), "t1": rand(2, 3)},
     lambda t0, t1: torch.cat([t0, t1], 1), {"axis": 1}, no_grad=("t1",))
case("mse with a constant target", "mse", {"a": rand(3, 4), "b": rand(3, 4)}, lambda a, b: F.mse_loss(a, b),
     {"reduction": "mean"}, no_grad=("b",))

# ---------------------------------------------------------------- exported helpers (forward only)
erf_x = torch.cat([torch.linspace(-7, 7, 57, dtype=DT),
                   torch.tensor([1e-300, 1e-10, -1e-8, 0.5, 3.93, 5.99999, 6.00001], dtype=DT)])
case("erf (number -> number, mapped over a grid)", "erf", {"x": erf_x}, torch.erf, no_grad=("x",))
case("sumTo [2,3,4] -> [3,1] (the adjoint of broadcasting)", "sumTo", {"x": rand(2, 3, 4)},
     lambda x: x.sum_to_size(3, 1), {"shape": [3, 1]}, no_grad=("x",))
case("sumTo [2,3,4] -> [4]", "sumTo", {"x": rand(2, 3, 4)}, lambda x: x.sum(dim=[0, 1]), {"shape": [4]},
     no_grad=("x",))

# ---------------------------------------------------------------- more geometry
conv_case("conv2d padding 3 with a 2x2 kernel (wider than the kernel)", rand(1, 2, 3, 3), rand(2, 2, 2, 2), rand(2),
          padding=3)
conv_case("conv2d stride 3 skips columns", rand(2, 1, 7, 8), rand(2, 1, 2, 2), None, stride=3)
pool_case("maxPool2d stride 3 > kernel 2 (gaps)", distinct(1, 1, 7, 8), 2, stride=3)
pool_case("maxPool2d 1x1 stride 2", distinct(1, 2, 4, 4), 1, stride=2)
sdpa_case("sdpa n = m = 1", rand(2, 1, 3), rand(2, 1, 3), rand(2, 1, 2))
sdpa_case("sdpa causal, n = m = 5, d = 1", rand(1, 2, 5, 1), rand(1, 2, 5, 1), rand(1, 2, 5, 3), causal=0)
case("scatterAdd axis -1 on [2,3,4]", "scatterAdd",
     {"x": rand(2, 3, 4), "index": torch.randint(0, 4, (2, 3, 6)), "src": rand(2, 3, 6)},
     lambda x, index, src: x.scatter_add(-1, index, src), {"axis": -1})
case("embedding 0-d index", "embedding", {"weight": rand(4, 3), "indices": idx(2)},
     lambda weight, indices: F.embedding(indices, weight), {"paddingIdx": None})
case("slice to an empty axis", "slice", {"x": rand(2, 3)}, lambda x: x[:, 2:1], {"axis": 1, "start": 2, "end": 1, "step": 1})
case("concat with an empty tensor", "concat", {"t0": rand(2, 3), "t1": rand(2, 0)}, lambda t0, t1: torch.cat([t0, t1], 1),
     {"axis": 1})
case("sum of an empty axis is 0", "sum", {"x": rand(2, 0)}, lambda x: x.sum(1), {"axis": 1, "keepdim": False})

# with ties in a window, both give the gradient to the first maximum in scan order (torch CPU)
pool_case("maxPool2d with ties (first maximum in the window gets the gradient)",
          torch.tensor([1, 3, 3, 0, 3, 3, 2, 2, 0, 1, 3, 3], dtype=DT).reshape(1, 1, 3, 4), 2, stride=1)

# ---------------------------------------------------------------- PyTorch's conventions at the edges
# (each was a mismatch once; appended last so the cases above keep their random inputs)
case("matmul 1-D·1-D is the dot product, 0-d", "matmul", {"a": rand(4), "b": rand(4)}, torch.matmul)
# a 0-d tensor has one 1-long axis for dim purposes: 0 and -1 both name it, the result is the value
x0 = torch.tensor(2.5, dtype=DT)
for axis in (0, -1):
    for keepdim in (False, True):
        for op, f in {"sum": torch.sum, "mean": torch.mean, "max": torch.amax, "min": torch.amin,
                      "logSumExp": torch.logsumexp}.items():
            case(f"{op} of a 0-d tensor over axis {axis}{' keepdim' if keepdim else ''}", op, {"x": x0},
                 lambda x, f=f, axis=axis, keepdim=keepdim: f(x, axis, keepdim=keepdim),
                 {"axis": axis, "keepdim": keepdim})
    for op in ("argmax", "argmin"):
        case(f"{op} of a 0-d tensor over axis {axis}", op, {"x": x0},
             lambda x, op=op, axis=axis: getattr(torch, op)(x, axis), {"axis": axis, "keepdim": False})
case("clamp with min > max gives max everywhere (min(max(x, lo), hi)), no gradient", "clamp",
     {"x": torch.tensor([-1.0, 0.5, 3.0, 2.0, 1.0, NAN], dtype=DT)}, lambda x: torch.clamp(x, 2.0, 1.0),
     {"min": 2, "max": 1})
lse_pinf = torch.tensor([[1.0, INF, 2.0, 0.0], [INF, INF, 0.0, -1.0], [-INF, 0.5, INF, 1.0],
                         [-INF, -INF, -INF, -INF]], dtype=DT)
case("logSumExp with +inf entries is +inf (an infinite max is taken as 0)", "logSumExp", {"x": lse_pinf},
     lambda x: torch.logsumexp(x, -1), {"axis": -1, "keepdim": False})
case("embedding paddingIdx -1 is the last row", "embedding", {"weight": rand(4, 2), "indices": idx([[3, 1], [0, 3]])},
     lambda weight, indices: F.embedding(indices, weight, padding_idx=-1), {"paddingIdx": -1})
case("embedding paddingIdx -4 is row 0", "embedding", {"weight": rand(4, 2), "indices": idx([0, 2, 0])},
     lambda weight, indices: F.embedding(indices, weight, padding_idx=-4), {"paddingIdx": -4})
case("relu propagates NaN (gradient 1), keeps -0", "relu",
     {"x": torch.tensor([NAN, -0.0, 0.0, -1.0, 2.0, INF, -INF], dtype=DT)}, torch.relu)
case("pow base 0 with negative exponents (exponent gradient -inf)", "pow",
     {"a": torch.tensor([0.0, 0.0, 0.0, 0.0, 2.0], dtype=DT), "b": torch.tensor([-1.0, -0.5, -2.0, 0.5, -1.0], dtype=DT)},
     torch.pow)

path = pathlib.Path(__file__).resolve().parents[2] / "test/fixtures/golden/ops.json"
path.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")))
print(f"wrote {path} ({len(cases)} cases, {len(set(c['op'] for c in cases))} ops, {path.stat().st_size} bytes)")

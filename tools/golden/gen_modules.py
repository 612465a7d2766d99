"""Golden cases for modules that PyTorch also has: outputs and every gradient.

Each case builds a torch module in float64, records its state_dict (our parameter names
are PyTorch's), runs forward on seeded inputs, backpropagates a seeded upstream gradient
from the output, and stores the output, the attention weights where there are any, and
the gradient of every input and parameter. Writes test/fixtures/golden/modules.json.

Mask conventions: our boolean attnMask means TRUE = MAY ATTEND; torch.nn.MultiheadAttention's
means TRUE = MASKED. The fixture stores ours; this script passes the inverse to torch.

Regenerate with:  /usr/bin/python3 tools/golden/gen_modules.py
"""
import json
import pathlib

import torch

torch.manual_seed(1234)
DT = torch.float64


def t(x):
    return {"shape": list(x.shape), "data": x.detach().flatten().tolist(), "dtype": str(x.dtype).replace("torch.", "")}


def rand(*shape):
    return torch.randn(*shape, dtype=DT)


cases = []


def record(name, module_name, config, module, inputs, call, forward_options=None, extra_inputs=None):
    """inputs: dict name -> tensor (requires grad); call(module, **inputs) -> (output, weights|None, extra outputs dict)."""
    module = module.double()
    state = {k: t(v) for k, v in module.state_dict().items()}
    for x in inputs.values():
        x.requires_grad_(True)
    out, weights, extras = call(module, **inputs)
    upstream = rand(*out.shape)
    loss = (out * upstream).sum()
    for name_, e in extras.items():
        up = rand(*e.shape)
        extras[name_] = (e, up)
        loss = loss + (e * up).sum()
    loss.backward()
    cases.append({
        "name": name,
        "module": module_name,
        "config": config,
        "state": state,
        "inputs": {k: t(v) for k, v in inputs.items()},
        "extraInputs": {k: t(v) for k, v in (extra_inputs or {}).items()},
        "forwardOptions": forward_options or {},
        "output": t(out),
        "weights": t(weights) if weights is not None else None,
        "upstream": t(upstream),
        "extras": {k: {"value": t(e), "upstream": t(up)} for k, (e, up) in extras.items()},
        "grads": {
            "inputs": {k: t(v.grad) for k, v in inputs.items()},
            "params": {k: t(p.grad) for k, p in module.named_parameters()},
        },
    })


# ---- MultiheadAttention (batch_first) ----
B, n, m, E, H = 2, 3, 4, 8, 2


def mha_case(name, config, q, k, v, torch_kw, ours_kw, extra_inputs=None):
    mod = torch.nn.MultiheadAttention(E, H, batch_first=True, **config)

    def call(module, query, key, value):
        out, w = module(query, key, value, **torch_kw)
        return out, w, {}

    ours_config = {"embedDim": E, "numHeads": H}
    for a, b in [("kdim", "kdim"), ("vdim", "vdim"), ("bias", "bias")]:
        if a in config:
            ours_config[b] = config[a]
    record(name, "MultiheadAttention", ours_config, mod, {"query": q, "key": k, "value": v}, call, ours_kw, extra_inputs)


x = rand(B, n, E)
mha_case("mha self", {}, x.clone(), x.clone(), x.clone(), {}, {})
mha_case("mha cross kdim!=vdim", {"kdim": 5, "vdim": 6}, rand(B, n, E), rand(B, m, 5), rand(B, m, 6), {}, {})
mha_case("mha no bias per-head weights", {"bias": False}, rand(B, n, E), rand(B, m, E), rand(B, m, E),
         {"average_attn_weights": False}, {"averageAttnWeights": False})
pad = torch.tensor([[False, False, True, True], [False, False, False, True]])
mha_case("mha key padding", {}, rand(B, n, E), rand(B, m, E), rand(B, m, E),
         {"key_padding_mask": pad}, {"keyPaddingMask": "keyPaddingMask"}, {"keyPaddingMask": pad})
T = 4
causal_blocked = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
xs = rand(B, T, E)
mha_case("mha causal self", {}, xs.clone(), xs.clone(), xs.clone(), {"attn_mask": causal_blocked}, {"isCausal": True})
allow = torch.tensor([[True, False, True, True], [True, True, False, True], [False, True, True, True]])
mha_case("mha bool attnMask (true = may attend)", {}, rand(B, n, E), rand(B, m, E), rand(B, m, E),
         {"attn_mask": ~allow}, {"attnMask": "attnMask"}, {"attnMask": allow})

# ---- GRU / LSTM (batch_first), two layers, bidirectional ----
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def rnn_case(name, kind, config, with_state, lengths=None):
    In, Hs, Bt, Tt = 3, 4, 2, 5
    cls = torch.nn.GRU if kind == "GRU" else torch.nn.LSTM
    mod = cls(In, Hs, batch_first=True, **config)
    L = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    inputs = {"input": rand(Bt, Tt, In)}
    if with_state:
        inputs["h0"] = rand(L, Bt, Hs)
        if kind == "LSTM":
            inputs["c0"] = rand(L, Bt, Hs)

    def call(module, input, h0=None, c0=None):
        state = None if h0 is None else (h0 if kind == "GRU" else (h0, c0))
        x = input
        if lengths is not None:
            x = pack_padded_sequence(input, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, st = module(x, state)
        if lengths is not None:
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=Tt)
        extras = {"hN": st} if kind == "GRU" else {"hN": st[0], "cN": st[1]}
        return out, None, extras

    ours = {"inputSize": In, "hiddenSize": Hs, "numLayers": config.get("num_layers", 1),
            "bidirectional": config.get("bidirectional", False), "bias": config.get("bias", True)}
    record(name, kind, ours, mod, inputs, call, {"lengths": lengths} if lengths else {})


rnn_case("gru 2 layers bidirectional", "GRU", {"num_layers": 2, "bidirectional": True}, False)
rnn_case("gru with h0", "GRU", {"num_layers": 2}, True)
rnn_case("gru packed lengths bidirectional", "GRU", {"bidirectional": True}, True, lengths=[5, 3])
rnn_case("lstm 2 layers bidirectional", "LSTM", {"num_layers": 2, "bidirectional": True}, False)
rnn_case("lstm with h0 c0, no bias", "LSTM", {"bias": False}, True)
rnn_case("lstm packed lengths 2 layers bidirectional", "LSTM", {"num_layers": 2, "bidirectional": True}, True, lengths=[2, 5])

# ---- GRUCell / LSTMCell ----
for kind in ("GRUCell", "LSTMCell"):
    cell = getattr(torch.nn, kind)(3, 4)
    ins = {"x": rand(2, 3), "h": rand(2, 4)}
    if kind == "LSTMCell":
        ins["c"] = rand(2, 4)

    def cell_call(module, x, h, c=None, kind=kind):
        if kind == "GRUCell":
            return module(x, h), None, {}
        h2, c2 = module(x, (h, c))
        return h2, None, {"c": c2}

    record(f"{kind} step", kind, {"inputSize": 3, "hiddenSize": 4}, cell, ins, cell_call)

# ---- Transformer layers (batch_first, dropout 0) ----
EM, NH, FF = 8, 2, 16


def tr_config(norm_first, activation):
    return {"dModel": EM, "nhead": NH, "dimFeedforward": FF, "dropout": 0, "normFirst": norm_first, "activation": activation}


def enc_case(name, norm_first, activation, pad=None, causal=False):
    mod = torch.nn.TransformerEncoderLayer(EM, NH, FF, 0.0, activation, batch_first=True, norm_first=norm_first)
    S = 4
    kw, ours, extra = {}, {}, {}
    if pad is not None:
        kw["src_key_padding_mask"] = pad
        ours["srcKeyPaddingMask"] = "srcKeyPaddingMask"
        extra["srcKeyPaddingMask"] = pad
    if causal:
        kw["src_mask"] = torch.triu(torch.ones(S, S, dtype=torch.bool), diagonal=1)
        ours["isCausal"] = True

    def call(module, src):
        return module(src, **kw), None, {}

    record(name, "TransformerEncoderLayer", tr_config(norm_first, activation), mod, {"src": rand(2, S, EM)}, call, ours, extra)


def dec_case(name, norm_first, activation, causal=True, mem_pad=None):
    mod = torch.nn.TransformerDecoderLayer(EM, NH, FF, 0.0, activation, batch_first=True, norm_first=norm_first)
    T, S = 3, 4
    kw, ours, extra = {}, {}, {}
    if causal:
        kw["tgt_mask"] = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        ours["tgtIsCausal"] = True
    if mem_pad is not None:
        kw["memory_key_padding_mask"] = mem_pad
        ours["memoryKeyPaddingMask"] = "memoryKeyPaddingMask"
        extra["memoryKeyPaddingMask"] = mem_pad

    def call(module, tgt, memory):
        return module(tgt, memory, **kw), None, {}

    record(name, "TransformerDecoderLayer", tr_config(norm_first, activation), mod,
           {"tgt": rand(2, T, EM), "memory": rand(2, S, EM)}, call, ours, extra)


spad = torch.tensor([[False, False, False, True], [False, False, False, False]])
enc_case("encoder layer post-norm relu", False, "relu")
enc_case("encoder layer pre-norm gelu with padding", True, "gelu", pad=spad)
enc_case("encoder layer post-norm causal", False, "relu", causal=True)
dec_case("decoder layer post-norm relu causal", False, "relu")
dec_case("decoder layer pre-norm gelu causal, memory padding", True, "gelu", mem_pad=spad)

full = torch.nn.Transformer(EM, NH, 2, 2, FF, 0.0, batch_first=True)


def full_call(module, src, tgt):
    mask = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)
    return module(src, tgt, tgt_mask=mask), None, {}


record("transformer 2+2 layers", "Transformer",
       {"dModel": EM, "nhead": NH, "numEncoderLayers": 2, "numDecoderLayers": 2, "dimFeedforward": FF, "dropout": 0},
       full, {"src": rand(2, 4, EM), "tgt": rand(2, 3, EM)}, full_call, {"tgtIsCausal": True})

# ---- Conv2d (added last, so the random draws of the cases above are unchanged) ----


def conv_case(name, cin, cout, kernel, stride, padding, dilation, bias, x_shape):
    mod = torch.nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)

    def call(module, input):
        return module(input), None, {}

    record(name, "Conv2d",
           {"inChannels": cin, "outChannels": cout, "kernelSize": list(kernel), "stride": list(stride),
            "padding": list(padding), "dilation": list(dilation), "bias": bias},
           mod, {"input": rand(*x_shape)}, call)


conv_case("conv2d 3→4, 3×2 kernel, stride (2, 1), padding (1, 0)", 3, 4, (3, 2), (2, 1), (1, 0), (1, 1), True, (2, 3, 6, 7))
conv_case("conv2d 2→3, 3×3 kernel, dilation (1, 2), padding 1, no bias", 2, 3, (3, 3), (1, 1), (1, 1), (1, 2), False, (1, 2, 5, 8))

path = pathlib.Path(__file__).resolve().parents[2] / "test/fixtures/golden/modules.json"
path.write_text(json.dumps({"torch": torch.__version__, "cases": cases}))
print(f"wrote {path} ({len(cases)} cases)")

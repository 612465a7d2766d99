"""PyTorch twin of attend's G2P Transformer (src/models/seq2seq/transformer-model.ts), for bench/g2p.ts.

Reads {dir, spec, steps, warmup, lr, labelSmoothing} as JSON from stdin. Loads attend's initial
weights (dir/init.safetensors) by parameter name with strict=True, so the two models are the same
architecture by construction; computes the first batch's loss with dropout off (bench/g2p.ts checks
it against attend's); then times `steps` training steps after `warmup` untimed ones on the same
batches (dir/batches.safetensors). Prints one JSON line: {"ms", "evalLoss", "info"}.
Thread settings come from the caller's environment (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS).
"""

import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_safetensors(path):
    """A safetensors file (8-byte little-endian header size, JSON header, raw data) as a dict of tensors."""
    import numpy as np

    kinds = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64, "BOOL": np.bool_, "U8": np.uint8}
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        array = np.frombuffer(raw[8 + n + a : 8 + n + b], dtype=kinds[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


class Seq2SeqTransformer(nn.Module):
    """Embeddings × √d + sinusoidal positions, dropout; pre-norm encoder and decoder with final norms; linear output."""

    def __init__(self, s):
        super().__init__()
        d, drop = s["dModel"], s.get("dropout", 0.1)
        self.d = d
        self.src_embedding = nn.Embedding(s["srcVocab"], d, padding_idx=0)
        self.tgt_embedding = nn.Embedding(s["tgtVocab"], d, padding_idx=0)
        norm_first = s.get("normFirst", True)
        enc = nn.TransformerEncoderLayer(d, s["nhead"], s["dimFeedforward"], drop, batch_first=True, norm_first=norm_first)
        dec = nn.TransformerDecoderLayer(d, s["nhead"], s["dimFeedforward"], drop, batch_first=True, norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(
            enc, s["encoderLayers"], norm=nn.LayerNorm(d) if norm_first else None, enable_nested_tensor=False
        )
        self.decoder = nn.TransformerDecoder(dec, s["decoderLayers"], norm=nn.LayerNorm(d) if norm_first else None)
        self.output = nn.Linear(d, s["tgtVocab"])
        self.dropout = nn.Dropout(drop)
        L = s.get("maxLength", 512)
        pe = torch.zeros(L, d, dtype=torch.float64)
        pos = torch.arange(L, dtype=torch.float64)[:, None]
        i = torch.arange(0, d, 2, dtype=torch.float64)
        angle = pos / 10000 ** (i / d)
        pe[:, 0::2] = torch.sin(angle)
        pe[:, 1::2] = torch.cos(angle[:, : d // 2])
        self.register_buffer("pe", pe.float(), persistent=False)

    def embed(self, emb, ids):
        return self.dropout(emb(ids) * math.sqrt(self.d) + self.pe[: ids.shape[1]])

    def forward(self, src, src_pad, tgt_in):
        memory = self.encoder(self.embed(self.src_embedding, src), src_key_padding_mask=src_pad)  # [B, S, E]
        T = tgt_in.shape[1]
        causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        y = self.decoder(
            self.embed(self.tgt_embedding, tgt_in), memory, tgt_mask=causal,
            memory_key_padding_mask=src_pad,
        )  # [B, T, E]
        return F.log_softmax(self.output(y), -1)  # [B, T, V]


def loss_of(log_probs, tgt_out, smoothing):
    V = log_probs.shape[-1]
    return F.cross_entropy(log_probs.reshape(-1, V), tgt_out.reshape(-1).long(), ignore_index=0, label_smoothing=smoothing)


def main():
    req = json.loads(sys.stdin.read())
    torch.manual_seed(1)
    model = Seq2SeqTransformer(req["spec"])
    weights = load_safetensors(os.path.join(req["dir"], "init.safetensors"))
    model.load_state_dict(weights, strict=True)
    data = load_safetensors(os.path.join(req["dir"], "batches.safetensors"))
    n = req["warmup"] + req["steps"]
    batches = [(data[f"{i}.src"].long(), data[f"{i}.src_pad"].bool(), data[f"{i}.tgt_in"].long(), data[f"{i}.tgt_out"]) for i in range(n)]

    model.eval()
    with torch.no_grad():
        src, pad, tin, tout = batches[0]
        eval_loss = loss_of(model(src, pad, tin), tout, 0.0).item()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=req["lr"])

    def step(b):
        src, pad, tin, tout = b
        opt.zero_grad(set_to_none=True)
        loss_of(model(src, pad, tin), tout, req["labelSmoothing"]).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for b in batches[: req["warmup"]]:
        step(b)
    t0 = time.perf_counter()
    for b in batches[req["warmup"]:]:
        step(b)
    ms = (time.perf_counter() - t0) * 1000
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}
    print(json.dumps({"ms": ms, "evalLoss": eval_loss, "info": info}), flush=True)


if __name__ == "__main__":
    main()

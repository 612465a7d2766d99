"""Golden safetensors files, written by an implementation independent of ours.

python3-safetensors is not packaged for Debian here, so this writes the format by hand with
struct + json, from the specification (https://github.com/huggingface/safetensors):
  8-byte little-endian u64 N, N bytes of UTF-8 JSON header, then the byte buffer.

test/fixtures/safetensors/torch_mha.safetensors
    The state_dict of a seeded torch.nn.MultiheadAttention(embed_dim=8, num_heads=2,
    batch_first=True) in float32, plus a cross-attention input (input.query [2, 3, 8],
    input.key = value [2, 5, 8]) and its outputs (output.attn_output [2, 3, 8],
    output.attn_output_weights [2, 3, 5], averaged over heads). Laid out exactly as the
    reference writer does (tensors by dtype then name, header padded with spaces to 8 bytes),
    so our writer must reproduce it byte for byte.

test/fixtures/safetensors/dtypes.safetensors
    One tensor per dtype (F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL) with known values,
    plus an empty and a 0-d tensor. Laid out as another writer might: data in an order of its
    own, at unaligned offsets (a 3-byte tensor first, no header padding), JSON keys in yet
    another order, metadata with an escaped non-ASCII string.

Regenerate with:  /usr/bin/python3 tools/golden/gen_safetensors.py
"""
import json
import pathlib
import struct
import sys

import torch

assert sys.byteorder == "little", "tensor bytes are written in native order, which must be little-endian"

OUT = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "safetensors"
DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}
# the reference's Dtype enum order; its writer sorts by it, largest first
RANK = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]


def raw(t):
    """Little-endian bytes of a tensor, row-major."""
    t = t.detach().contiguous()
    if t.dtype == torch.bool:
        return t.to(torch.uint8).numpy().tobytes()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the 16 bits
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write(path, tensors, metadata=None, data_order=None, json_order=None, pad=True):
    """tensors: list of (name, tensor). data_order / json_order: lists of names (default: as given)."""
    by_name = dict(tensors)
    data_order = data_order or [n for n, _ in tensors]
    json_order = json_order or data_order
    entries, buffer = {}, b""
    for name in data_order:
        b = raw(by_name[name])
        t = by_name[name]
        entries[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [len(buffer), len(buffer) + len(b)]}
        buffer += b
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in json_order:
        header[name] = entries[name]
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + buffer)
    print(f"wrote {path} ({8 + len(text) + len(buffer)} bytes)")


def reference_order(tensors):
    return [n for n, _ in sorted(tensors, key=lambda nt: (-RANK.index(DTYPES[nt[1].dtype]), nt[0]))]


def mha():
    torch.manual_seed(2024)
    m = torch.nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True).eval()
    query = torch.randn(2, 3, 8)
    key = torch.randn(2, 5, 8)
    with torch.no_grad():
        out, weights = m(query, key, key, need_weights=True, average_attn_weights=True)
    tensors = list(m.state_dict().items()) + [
        ("input.query", query),
        ("input.key", key),
        ("output.attn_output", out),
        ("output.attn_output_weights", weights),
    ]
    assert all(t.dtype == torch.float32 for _, t in tensors)
    write(
        OUT / "torch_mha.safetensors",
        tensors,
        metadata={"format": "pt", "source": "tools/golden/gen_safetensors.py"},
        data_order=reference_order(tensors),
    )


def dtypes():
    tensors = [
        ("bool", torch.tensor([True, False, True])),  # 3 bytes first: everything after is unaligned
        ("f64", torch.tensor([3.141592653589793, -1e-300, 2.0**60], dtype=torch.float64)),
        ("f32", torch.tensor([[1.5, -2.25, float("inf")], [-0.0, 3.4028234663852886e38, 1e-45]], dtype=torch.float32)),
        ("f16", torch.tensor([[1.0, -2.0], [65504.0, 2.0**-24], [0.333251953125, float("-inf")]], dtype=torch.float16)),
        ("bf16", torch.tensor([1.0, -5.0, 3.140625, 0.0078125], dtype=torch.bfloat16)),
        ("i64", torch.tensor([[-2147483648, 2147483647, -1], [0, 42, 7]], dtype=torch.int64)),
        ("i32", torch.tensor([-7, 0, 123456789], dtype=torch.int32)),
        ("i16", torch.tensor([-32768, 32767], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127, 0], dtype=torch.int8)),
        ("u8", torch.tensor([[0, 1], [255, 128]], dtype=torch.uint8)),
        ("empty", torch.zeros(0, 3, dtype=torch.float32)),
        ("scalar", torch.tensor(2.5, dtype=torch.float32)),
    ]
    names = [n for n, _ in tensors]
    write(
        OUT / "dtypes.safetensors",
        tensors,
        metadata={"note": "written by hand: struct + json", "unicode": "\u00e9\u00e8 \u2713"},
        data_order=names,
        json_order=sorted(names, reverse=True),
        pad=False,
    )


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    mha()
    dtypes()

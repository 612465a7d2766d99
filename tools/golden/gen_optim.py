"""Golden trajectories for the optimisers: torch.optim.{SGD, Adam, AdamW} over fixed gradients.

Writes test/fixtures/golden/optim.json. Regenerate with:
    /usr/bin/python3 tools/golden/gen_optim.py
"""
import json
import pathlib

import torch

torch.manual_seed(0)
STEPS = 5
p0 = torch.randn(3, 4, dtype=torch.float64)
grads = [torch.randn(3, 4, dtype=torch.float64) for _ in range(STEPS)]

CASES = [
    ("sgd", torch.optim.SGD, {"lr": 0.1}),
    ("sgd_momentum_dampening_wd", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("sgd_nesterov", torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("adam", torch.optim.Adam, {"lr": 0.01}),
    ("adam_betas_eps_wd", torch.optim.Adam, {"lr": 0.02, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
    ("adamw", torch.optim.AdamW, {"lr": 0.01}),
    ("adamw_wd", torch.optim.AdamW, {"lr": 0.03, "weight_decay": 0.2, "betas": (0.9, 0.98), "eps": 1e-9}),
]

cases = []
for name, cls, kwargs in CASES:
    p = p0.clone().requires_grad_(True)
    opt = cls([p], **kwargs)
    trajectory = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        trajectory.append(p.detach().flatten().tolist())
    options = {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
    cases.append({"name": name, "optimizer": cls.__name__, "options": options, "trajectory": trajectory})

out = {
    "torch": torch.__version__,
    "shape": list(p0.shape),
    "p0": p0.flatten().tolist(),
    "grads": [g.flatten().tolist() for g in grads],
    "cases": cases,
}
path = pathlib.Path(__file__).resolve().parents[2] / "test/fixtures/golden/optim.json"
path.write_text(json.dumps(out))
print(f"wrote {path} ({len(cases)} cases)")

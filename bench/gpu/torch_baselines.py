#!/usr/bin/env python3
"""PyTorch eager and torch.compile baselines for Kevo's bundled problems, on a GPU.

Each bundled problem (resources/problems/<id>/problem.json) is written the way a PyTorch user
would write it (torch.softmax, F.layer_norm, F.embedding_bag, ...), run on the shapes of one shape
set with inputs drawn from the problem's distributions, checked once against a float64
computation of the same math (written independently of the op under test), and timed with CUDA
events: 3 warm-up calls (the first one compiles, under torch.compile), then 30 timed calls, each
preceded, on "cold" shape sets, by a write of a buffer twice the L2 size outside the timed region.
Unlike Kevo's harness the inputs are not rotated between calls (the L2 flush is what makes a call
cold here) and the output is allocated by PyTorch inside the call, as in real use.

Usage (on the GPU machine, from the repository root):
    python3 bench/gpu/torch_baselines.py --json /tmp/torch_baselines.json
    python3 bench/gpu/torch_baselines.py --problems softmax,gelu --modes eager --shape-set inference
    python3 bench/gpu/torch_baselines.py --dry-run        # shapes and byte counts only, no torch
    python3 bench/gpu/torch_baselines.py --device cpu ... # semantics test without a GPU (wall clock)

Exit status: 0 when the run completed (failed problems are reported, not fatal), 2 when torch or
CUDA is missing or the arguments are bad.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import signal
import statistics
import sys
import time
import traceback
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

try:  # torch is optional so that --dry-run and the expression evaluator work without it
    import torch
    import torch.nn.functional as F
except ImportError as _e:  # pragma: no cover - depends on the machine
    torch = None
    F = None
    _TORCH_IMPORT_ERROR = _e

PROBLEMS_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "problems"

# ---------------------------------------------------------------------------------------------
# Shape expressions: the grammar and integer semantics of core/problem/Expression.cpp.
# expr := term (('+'|'-') term)*; term := unary (('*'|'/'|'%') unary)*; unary := '-' unary |
# primary; primary := number | name | name '(' expr ',' expr ')' | '(' expr ')'.
# '/' truncates toward zero and '%' takes the dividend's sign (C, not Python); every
# intermediate must fit in int64, as in Kevo.

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\S))")


class ExpressionError(ValueError):
    pass


def _c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _c_mod(a: int, b: int) -> int:
    return a - b * _c_div(a, b)


class _Parser:
    def __init__(self, text: str, symbols: dict[str, int]):
        self.text = text
        self.symbols = symbols
        self.tokens: list[tuple[str, str | int, int]] = []  # (kind, value, column)
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:  # only trailing whitespace left
                break
            col = m.start(m.lastindex) + 1
            if m.group(1) is not None:
                self.tokens.append(("num", int(m.group(1)), col))
            elif m.group(2) is not None:
                self.tokens.append(("name", m.group(2), col))
            else:
                self.tokens.append(("op", m.group(3), col))
            pos = m.end()
        self.i = 0

    def fail(self, what: str):
        col = self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text) + 1
        raise ExpressionError(f'in "{self.text}" at column {col}: {what}')

    def checked(self, v: int) -> int:
        if v < INT64_MIN or v > INT64_MAX:
            self.fail("value overflows 64 bits")
        return v

    def peek_op(self, ops: str) -> str | None:
        if self.i < len(self.tokens) and self.tokens[self.i][0] == "op" and self.tokens[self.i][1] in ops:
            return self.tokens[self.i][1]
        return None

    def expect(self, op: str):
        if self.peek_op(op) is None:
            self.fail(f"expected '{op}'")
        self.i += 1

    def parse(self) -> int:
        if not self.tokens:
            self.fail("empty expression")
        v = self.expr()
        if self.i != len(self.tokens):
            self.fail(f"unexpected '{self.tokens[self.i][1]}'")
        return v

    def expr(self) -> int:
        v = self.term()
        while (op := self.peek_op("+-")) is not None:
            self.i += 1
            r = self.term()
            v = self.checked(v + r if op == "+" else v - r)
        return v

    def term(self) -> int:
        v = self.unary()
        while (op := self.peek_op("*/%")) is not None:
            self.i += 1
            r = self.unary()
            if op == "*":
                v = self.checked(v * r)
            else:
                if r == 0:
                    self.fail("division by zero" if op == "/" else "modulo by zero")
                v = self.checked(_c_div(v, r) if op == "/" else _c_mod(v, r))
        return v

    def unary(self) -> int:
        if self.peek_op("-") is not None:
            self.i += 1
            return self.checked(-self.unary())
        return self.primary()

    def primary(self) -> int:
        if self.i >= len(self.tokens):
            self.fail("unexpected end")
        kind, value, _ = self.tokens[self.i]
        if kind == "op" and value == "(":
            self.i += 1
            v = self.expr()
            self.expect(")")
            return v
        if kind == "num":
            self.i += 1
            return self.checked(value)
        if kind == "name":
            self.i += 1
            if self.peek_op("(") is not None:
                if value not in ("min", "max", "cdiv"):
                    self.fail(f"unknown function '{value}' (known: min, max, cdiv)")
                self.i += 1
                a = self.expr()
                self.expect(",")
                b = self.expr()
                self.expect(")")
                if value == "cdiv":
                    if b <= 0:
                        self.fail("cdiv by a non-positive number")
                    return 0 if a <= 0 else (a + b - 1) // b
                return min(a, b) if value == "min" else max(a, b)
            if value not in self.symbols:
                self.fail(f"unknown symbol '{value}'")
            return self.symbols[value]
        self.fail(f"unexpected '{value}'")
        raise AssertionError  # unreachable: fail() raises


def evaluate(expression, symbols: dict[str, int]) -> int:
    """Evaluates a problem.json expression (a string, or a JSON integer) over the symbols."""
    if isinstance(expression, bool):
        raise ExpressionError(f"expected an expression, got {expression!r}")
    if isinstance(expression, int):
        return expression
    if isinstance(expression, float) and expression.is_integer():
        return int(expression)
    if not isinstance(expression, str):
        raise ExpressionError(f"expected an expression, got {expression!r}")
    return _Parser(expression, symbols).parse()


# ---------------------------------------------------------------------------------------------
# problem.json, resolved for one shape set.

@dataclass
class TensorSpec:
    name: str
    dtype: str  # f32, f64, i32, i64
    shape: tuple[int, ...]
    dist: dict = field(default_factory=dict)  # inputs only

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass
class ProblemSpec:
    id: str
    shape_set: str
    symbols: dict[str, int]
    cache: str  # warm or cold
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    scalars: list[tuple[str, int]]
    bytes: int
    flops: int
    tolerance: dict


def list_problems(problems_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in problems_dir.glob("*/problem.json"))


def load_problem(problems_dir: Path, problem_id: str, shape_set: str) -> ProblemSpec:
    path = problems_dir / problem_id / "problem.json"
    doc = json.loads(path.read_text())
    sets = doc.get("shape_sets", {})
    if shape_set not in sets:
        raise ValueError(f"{path}: no shape set '{shape_set}' (has: {', '.join(sorted(sets))})")
    ss = sets[shape_set]
    symbols = {str(k): int(v) for k, v in ss["symbols"].items()}

    def tensors(key: str) -> list[TensorSpec]:
        out = []
        for t in doc.get(key, []):
            shape = tuple(evaluate(d, symbols) for d in t["shape"])
            if any(d < 0 for d in shape):
                raise ValueError(f"{path}: {key} {t['name']} has a negative dimension {shape}")
            out.append(TensorSpec(t["name"], t["dtype"], shape, t.get("dist", {})))
        return out

    return ProblemSpec(
        id=doc.get("id", problem_id),
        shape_set=shape_set,
        symbols=symbols,
        cache=ss.get("cache", "warm"),
        inputs=tensors("inputs"),
        outputs=tensors("outputs"),
        scalars=[(s["name"], evaluate(s["value"], symbols)) for s in doc.get("scalars", [])],
        bytes=evaluate(doc.get("bytes", "0"), symbols),
        flops=evaluate(doc.get("flops", "0"), symbols),
        tolerance=doc.get("tolerance", {"kind": "bitwise"}),
    )


# ---------------------------------------------------------------------------------------------
# Input generation on the device: the meaning of each distribution of docs/problem-format.md
# (core/problem/InputGenerator.cpp), not Kevo's random stream.

def _number(value, symbols) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float(evaluate(value, symbols))


def make_input(spec: TensorSpec, symbols: dict[str, int], device) -> "torch.Tensor":
    if spec.dtype == "bf16":  # drawn in fp32 and rounded once, as Kevo does
        return make_input_as(spec, symbols, device, torch.float32).to(torch.bfloat16)
    return make_input_as(spec, symbols, device, DTYPES[spec.dtype])


def make_input_as(spec: TensorSpec, symbols: dict[str, int], device, dtype) -> "torch.Tensor":
    shape, n = spec.shape, spec.numel
    kind = spec.dist.get("kind")
    d = spec.dist
    if kind == "normal":
        t = torch.randn(shape, dtype=dtype, device=device)
        return t.mul_(_number(d["std"], symbols)).add_(_number(d["mean"], symbols))
    if kind == "uniform":
        low, high = _number(d["low"], symbols), _number(d["high"], symbols)
        return torch.rand(shape, dtype=dtype, device=device).mul_(high - low).add_(low)
    if kind == "sorted":
        # One random point in each of n equal cells of [low, high): strictly increasing and
        # spanning the range, as Kevo draws bucket boundaries.
        low, high = _number(d["low"], symbols), _number(d["high"], symbols)
        cell = (high - low) / max(n, 1)
        u = torch.rand(n, dtype=torch.float64, device=device)
        pos = torch.arange(n, dtype=torch.float64, device=device) + 0.05 + 0.9 * u
        t = (low + cell * pos).to(dtype)
        if n > 1 and not bool((t[1:] > t[:-1]).all()):
            c = t.cpu()  # rounding to the dtype tied two points: nudge up, as Kevo does
            inf = torch.tensor(float("inf"), dtype=dtype)
            for i in range(1, n):
                if not c[i] > c[i - 1]:
                    c[i] = torch.nextafter(c[i - 1], inf)
            t = c.to(device)
        return t.reshape(shape)
    if kind == "randint":
        low, high = evaluate(d["low"], symbols), evaluate(d["high"], symbols)
        if high <= low:  # Kevo draws from a span of 1 then
            return torch.full(shape, low, dtype=dtype, device=device)
        return torch.randint(low, high, shape, dtype=torch.int64, device=device).to(dtype)
    if kind == "bits":
        if dtype == torch.int64:
            # A signed high half times 2^32 plus an unsigned low half: every bit random, and no
            # intermediate leaves int64.
            hi = torch.randint(-(1 << 31), 1 << 31, shape, dtype=torch.int64, device=device)
            lo = torch.randint(0, 1 << 32, shape, dtype=torch.int64, device=device)
            return hi.mul_(1 << 32).add_(lo)
        return torch.randint(-(1 << 31), 1 << 31, shape, dtype=torch.int64, device=device).to(dtype)
    if kind == "offsets":
        # 0 = o[0] <= o[1] <= ... <= o[n-1] = total with n-2 sorted random cut points in [0, total].
        total = evaluate(d["total"], symbols)
        cuts = torch.randint(0, total + 1, (max(n - 2, 0),), dtype=torch.int64, device=device)
        cuts = torch.sort(cuts).values
        parts = [torch.zeros(1, dtype=torch.int64, device=device), cuts]
        if n > 1:
            parts.append(torch.full((1,), total, dtype=torch.int64, device=device))
        return torch.cat(parts).to(dtype).reshape(shape)
    raise ValueError(f"input {spec.name}: unknown distribution {kind!r}")


# ---------------------------------------------------------------------------------------------
# The problems in PyTorch. fn(*inputs, *scalars, *extras) is what is timed: idiomatic torch, as
# a user writes it. ref(*inputs, *scalars) is the float64 check: the math of reference.cpp,
# written out with elementary ops rather than the op under test, so that a semantics mismatch
# (erf GELU, right=True, unbiased variance, wrong pair order) shows as a failed check. It
# returns (expected, sample): sample is None when expected covers the whole output, or the
# flat indices of the output elements it covers.

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _gelu_tanh_f64(h):
    return 0.5 * h * (1.0 + torch.tanh(SQRT_2_OVER_PI * (h + 0.044715 * h * h * h)))


# add_relu
def add_relu(x, residual):
    return torch.relu(x + residual)


def ref_add_relu(x, residual):
    s = x.double() + residual.double()
    return torch.where(s > 0, s, torch.zeros_like(s)), None


# bias_gelu
def bias_gelu(x, bias):
    return F.gelu(x + bias, approximate="tanh")


def ref_bias_gelu(x, bias):
    return _gelu_tanh_f64(x.double() + bias.double()), None


# gelu
def gelu(x):
    return F.gelu(x, approximate="tanh")


def ref_gelu(x):
    return _gelu_tanh_f64(x.double()), None


# bucketize: number of boundaries strictly less than the value = lower_bound = right=False.
def bucketize(values, boundaries):
    return torch.bucketize(values, boundaries, out_int32=True, right=False)


def ref_bucketize(values, boundaries):
    v = values.reshape(-1)
    nb = boundaries.numel()
    out = torch.empty(v.numel(), dtype=torch.int64, device=v.device)
    chunk = max(1, (1 << 26) // max(nb, 1))  # a brute-force count, ~64M comparisons at a time
    for s in range(0, v.numel(), chunk):
        out[s:s + chunk] = (boundaries[None, :] < v[s:s + chunk, None]).sum(dim=1)
    return out.reshape(values.shape), None


# dlrm_interaction: DLRM's interact_features (dot): a batched Gram matrix, strictly lower triangle
# gathered with precomputed tril indices (row-major: (1,0), (2,0), (2,1), ...).
def dlrm_interaction(features, li, lj):
    z = torch.bmm(features, features.transpose(1, 2))
    return z[:, li, lj]


def extra_dlrm_interaction(spec, inputs, scalars, device):
    nf = spec.inputs[0].shape[1]
    tri = torch.tril_indices(nf, nf, offset=-1, device=device)
    return [tri[0], tri[1]]


def ref_dlrm_interaction(features):
    f = features.double()
    nf = f.shape[1]
    out = torch.empty(f.shape[0], nf * (nf - 1) // 2, dtype=torch.float64, device=f.device)
    idx = 0  # counted, so the pair order is visibly the row-major one of reference.cpp
    for i in range(1, nf):
        for j in range(i):
            out[:, idx] = (f[:, i, :] * f[:, j, :]).sum(dim=1)
            idx += 1
    return out, None


# embedding_bag: offsets has B+1 entries (the last one is T), so include_last_offset=True.
def embedding_bag(weight, indices, offsets):
    return F.embedding_bag(indices, weight, offsets, mode="sum", include_last_offset=True)


def ref_embedding_bag(weight, indices, offsets):
    bags = offsets.numel() - 1
    lengths = (offsets[1:] - offsets[:-1]).to(torch.int64)
    bag_of = torch.repeat_interleave(torch.arange(bags, device=weight.device), lengths)
    out = torch.zeros(bags, weight.shape[1], dtype=torch.float64, device=weight.device)
    out.index_add_(0, bag_of, weight[indices.to(torch.int64)].double())
    return out, None


# feature_hash: fmix64 in int64 tensor ops. torch has no usable uint64 arithmetic, so the
# unsigned parts are emulated: a logical shift right by 33 is the arithmetic one masked to its
# low 31 bits; int64 multiplication wraps modulo 2^64 exactly like uint64 (the constants are
# written as their two's complement values); and for the unsigned modulo, an id whose top bit is
# set reads as h - 2^64, so (h mod nb + 2^64 mod nb) mod nb with Python-style (non-negative)
# remainders gives the unsigned result.
_FMIX_C1 = 0xFF51AFD7ED558CCD - (1 << 64)
_FMIX_C2 = 0xC4CEB9FE1A85EC53 - (1 << 64)
_LOW31 = (1 << 31) - 1


def feature_hash(ids, num_buckets, two64_mod_nb):
    k = ids ^ ((ids >> 33) & _LOW31)
    k = k * _FMIX_C1
    k = k ^ ((k >> 33) & _LOW31)
    k = k * _FMIX_C2
    k = k ^ ((k >> 33) & _LOW31)
    r = torch.remainder(k, num_buckets)
    # (k >> 63) is all ones exactly when the unsigned value has its top bit set.
    return torch.remainder(r + ((k >> 63) & two64_mod_nb), num_buckets)


def extra_feature_hash(spec, inputs, scalars, device):
    nb = scalars[0]
    if not 0 < nb < (1 << 31):  # keeps r + (2^64 mod nb) far from overflow
        raise ValueError(f"num_buckets {nb} outside (0, 2^31): not expressible this way")
    return [(1 << 64) % nb]


def _fmix64_py(k: int) -> int:
    m = (1 << 64) - 1
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & m
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & m
    k ^= k >> 33
    return k


def ref_feature_hash(ids, num_buckets):
    # Exact Python integers on a random sample (every element would take minutes in Python).
    flat = ids.reshape(-1)
    sample = torch.randint(0, flat.numel(), (min(flat.numel(), 1 << 15),), device=ids.device)
    mask = (1 << 64) - 1
    expected = [_fmix64_py(v & mask) % num_buckets for v in flat[sample].tolist()]
    return torch.tensor(expected, dtype=torch.int64, device=ids.device), sample


# gemm_square, gemm_tall_skinny: fp32 with TF32 off (set in main).
def gemm(A, B):
    return torch.matmul(A, B)


def ref_gemm(A, B):
    return A.double() @ B.double(), None


# gemm_bf16: bf16 inputs, fp32 output (rounding C to bf16 would fail the problem's tolerance).
def gemm_bf16(A, B):
    try:
        return torch.mm(A, B, out_dtype=torch.float32)
    except TypeError:  # an older PyTorch: fp32 math on the exactly widened inputs (slower)
        return torch.matmul(A.float(), B.float())


# jagged_pad: what a user writes without fbgemm: gather a [B, L] window starting at each offset
# and zero what lies past the segment's end. Positions past the end of values are clamped before
# the gather; they are always masked (offsets[b] + j >= T implies j >= len_b).
def jagged_pad(values, offsets, max_len):
    if values.numel() == 0:
        return values.new_zeros(offsets.numel() - 1, max_len)
    starts = offsets[:-1].to(torch.int64)
    lengths = offsets[1:].to(torch.int64) - starts
    j = torch.arange(max_len, device=values.device)
    idx = (starts[:, None] + j).clamp_(max=values.numel() - 1)
    return values[idx].masked_fill_(j >= lengths[:, None], 0.0)


def ref_jagged_pad(values, offsets, max_len):
    # Scatter each value to its place instead of gathering: a different route to the same copy.
    o = offsets.to(torch.int64)
    t = torch.arange(values.numel(), device=values.device)
    seg = torch.searchsorted(o[1:].contiguous(), t, right=True)  # segment b: o[b] <= t < o[b+1]
    j = t - o[seg]
    keep = j < max_len
    out = torch.zeros(o.numel() - 1, max_len, dtype=values.dtype, device=values.device)
    out[seg[keep], j[keep]] = values[keep]
    return out, None


# layernorm: eps = 1e-5, biased variance (F.layer_norm's).
def layernorm(x, gamma, beta):
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps=1e-5)


def ref_layernorm(x, gamma, beta):
    xd = x.double()
    mu = xd.mean(dim=1, keepdim=True)
    var = ((xd - mu) ** 2).mean(dim=1, keepdim=True)
    return (xd - mu) / torch.sqrt(var + 1e-5) * gamma.double() + beta.double(), None


# log_softmax
def log_softmax(x):
    return torch.log_softmax(x, dim=-1)


def ref_log_softmax(x):
    xd = x.double()
    m = xd.amax(dim=1, keepdim=True)
    lse = m + torch.log(torch.exp(xd - m).sum(dim=1, keepdim=True))
    return xd - lse, None


# rmsnorm: eps = 1e-6; F.rms_norm exists from torch 2.4, the formula is the fallback.
def rmsnorm(x, gamma):
    if hasattr(F, "rms_norm"):
        return F.rms_norm(x, (x.shape[-1],), gamma, eps=1e-6)
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + 1e-6) * gamma


def ref_rmsnorm(x, gamma):
    xd = x.double()
    r = 1.0 / torch.sqrt((xd * xd).sum(dim=1, keepdim=True) / xd.shape[1] + 1e-6)
    return xd * r * gamma.double(), None


# row_max, row_sum, softmax
def row_max(x):
    return torch.amax(x, dim=1)


def ref_row_max(x):
    return x.double().max(dim=1).values, None


def row_sum(x):
    return torch.sum(x, dim=1)


def ref_row_sum(x):
    return x.double().sum(dim=1), None


def softmax(x):
    return torch.softmax(x, dim=-1)


def ref_softmax(x):
    e = torch.exp(x.double() - x.double().amax(dim=1, keepdim=True))
    return e / e.sum(dim=1, keepdim=True), None


@dataclass
class Impl:
    fn: object
    ref: object
    code: str  # what is timed, for the JSON
    extra: object = None  # (spec, inputs, scalars, device) -> extra args appended to fn's


IMPLS: dict[str, Impl] = {
    "add_relu": Impl(add_relu, ref_add_relu, "torch.relu(x + residual)"),
    "bias_gelu": Impl(bias_gelu, ref_bias_gelu, "F.gelu(x + bias, approximate='tanh')"),
    "bucketize": Impl(bucketize, ref_bucketize,
                      "torch.bucketize(values, boundaries, out_int32=True, right=False)"),
    "dlrm_interaction": Impl(dlrm_interaction, ref_dlrm_interaction,
                             "torch.bmm(f, f.transpose(1, 2))[:, li, lj] (tril_indices offset=-1)",
                             extra_dlrm_interaction),
    "embedding_bag": Impl(embedding_bag, ref_embedding_bag,
                          "F.embedding_bag(indices, weight, offsets, mode='sum', include_last_offset=True)"),
    "feature_hash": Impl(feature_hash, ref_feature_hash,
                         "fmix64 in int64 ops (masked shifts, wrapping multiplies), unsigned % emulated",
                         extra_feature_hash),
    "gelu": Impl(gelu, ref_gelu, "F.gelu(x, approximate='tanh')"),
    "gemm_square": Impl(gemm, ref_gemm, "torch.matmul(A, B), TF32 off"),
    "gemm_bf16": Impl(gemm_bf16, ref_gemm, "torch.mm(A, B, out_dtype=torch.float32), bf16 inputs"),
    "layernorm_bf16": Impl(layernorm, ref_layernorm, "F.layer_norm on bf16 x, gamma, beta"),
    "rmsnorm_bf16": Impl(rmsnorm, ref_rmsnorm, "F.rms_norm on bf16 x, gamma"),
    "gemm_tall_skinny": Impl(gemm, ref_gemm, "torch.matmul(A, B), TF32 off"),
    "jagged_pad": Impl(jagged_pad, ref_jagged_pad,
                       "values[offsets[:-1,None] + arange(L)] masked past each segment's end"),
    "layernorm": Impl(layernorm, ref_layernorm, "F.layer_norm(x, (N,), gamma, beta, eps=1e-5)"),
    "log_softmax": Impl(log_softmax, ref_log_softmax, "torch.log_softmax(x, dim=-1)"),
    "rmsnorm": Impl(rmsnorm, ref_rmsnorm, "F.rms_norm(x, (N,), gamma, eps=1e-6)"),
    "row_max": Impl(row_max, ref_row_max, "torch.amax(x, dim=1)"),
    "row_sum": Impl(row_sum, ref_row_sum, "torch.sum(x, dim=1)"),
    "softmax": Impl(softmax, ref_softmax, "torch.softmax(x, dim=-1)"),
}

DTYPES: dict = {}


def _init_dtypes():
    DTYPES.update({"f32": torch.float32, "f64": torch.float64, "i32": torch.int32, "i64": torch.int64,
                   "bf16": torch.bfloat16})


# ---------------------------------------------------------------------------------------------
# Checking one result against the float64 computation.

def check_output(out, expected, sample, spec: TensorSpec, tolerance: dict) -> dict:
    """Compares out with expected as Kevo does: the reference's value is first stored in the
    output dtype (reference.cpp rounds once, when it stores), then bitwise or allclose."""
    res = {"rel_err": None, "max_abs_err": None, "bad": None, "checked": 0, "check": ""}
    want = DTYPES[spec.dtype]
    if tuple(out.shape) != spec.shape:
        res["check"] = f"FAIL shape {tuple(out.shape)}, expected {spec.shape}"
        return res
    notes = []
    if out.dtype != want:
        notes.append(f"dtype {str(out.dtype).replace('torch.', '')}, expected {spec.dtype}")
    o = out.detach().reshape(-1)
    if sample is not None:
        o = o[sample]
    o = o.contiguous()
    r = expected.reshape(-1).to(want)
    od, rd = o.to(torch.float64), r.to(torch.float64)
    diff = (od - rd).abs()
    n = o.numel()
    res["checked"] = n
    if n:
        res["max_abs_err"] = float(diff.max())
        scale = float(rd.abs().max())
        res["rel_err"] = res["max_abs_err"] / scale if scale > 0 else res["max_abs_err"]
    if tolerance.get("kind") == "bitwise":
        if want.is_floating_point and o.dtype == want:
            ibits = {torch.float32: torch.int32, torch.float64: torch.int64}[want]
            bad = int((o.view(ibits) != r.view(ibits)).sum())  # bit for bit: -0.0 != +0.0
        else:
            bad = int((o.to(want) != r).sum())
        how = "bitwise"
    else:
        atol, rtol = float(tolerance.get("atol", 0)), float(tolerance.get("rtol", 0))
        ok = (diff <= atol + rtol * rd.abs()) | (od == rd) | (torch.isnan(od) & torch.isnan(rd))
        bad = int((~ok).sum())
        how = f"allclose {atol:g}/{rtol:g}"
    res["bad"] = bad
    verdict = "ok" if bad == 0 and not notes else f"FAIL {bad}/{n}" if bad else "FAIL"
    extra = (", " + ", ".join(notes)) if notes else ""
    res["check"] = f"{verdict} ({how}{', sampled' if sample is not None else ''}{extra})"
    return res


# ---------------------------------------------------------------------------------------------
# Timing.

class GuardTimeout(Exception):
    pass


@contextlib.contextmanager
def guard(seconds: float | None):
    """Raises GuardTimeout in the main thread after seconds, and again every 5 s after that in
    case something inside torch catches the first one."""
    if not seconds or seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise GuardTimeout(f"guard of {seconds:.0f} s expired")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds, 5.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_calls(fn, args, iters: int, flush_buf, device) -> list[float]:
    """Per-call times in microseconds. The flush (when flush_buf is given) is enqueued before the
    start event, so it is outside the timed region."""
    times = []
    if device.type == "cuda":
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
        for i in range(iters):
            if flush_buf is not None:
                flush_buf.fill_(float(i + 1))
            starts[i].record()
            out = fn(*args)
            ends[i].record()
            del out
        torch.cuda.synchronize(device)
        times = [s.elapsed_time(e) * 1e3 for s, e in zip(starts, ends)]
    else:  # CPU: wall clock, for testing the runner only
        for i in range(iters):
            if flush_buf is not None:
                flush_buf.fill_(float(i + 1))
            t0 = time.perf_counter()
            out = fn(*args)
            times.append((time.perf_counter() - t0) * 1e6)
            del out
    return times


# ---------------------------------------------------------------------------------------------
# The run.

def _short(e: BaseException, limit: int = 300) -> str:
    text = f"{type(e).__name__}: {e}".strip().replace("\n", " | ")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def run_problem(pid, spec: ProblemSpec, modes, args, device, flush_buf, meta, deadline, n_left) -> list[dict]:
    impl = IMPLS[pid]
    base = {
        "problem": pid, "shape_set": spec.shape_set, "symbols": spec.symbols, "cache": spec.cache,
        "bytes": spec.bytes, "flops": spec.flops, "torch_code": impl.code, **meta,
    }
    if pid == "rmsnorm" and not hasattr(F, "rms_norm"):
        base["torch_code"] = "x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * gamma"
    records = []

    def failed(mode, status, error):
        return {**base, "mode": mode, "status": status, "error": error}

    # Inputs, extras and the float64 expectation, once for both modes.
    try:
        with guard(args.setup_timeout):
            torch.manual_seed(args.seed ^ zlib.crc32(pid.encode()))
            inputs = [make_input(t, spec.symbols, device) for t in spec.inputs]
            scalars = [v for _, v in spec.scalars]
            extras = impl.extra(spec, inputs, scalars, device) if impl.extra else []
            expected, sample = impl.ref(*inputs, *scalars)
            synchronize(device)
    except Exception as e:  # noqa: BLE001 - reported, the run goes on
        traceback.print_exc(file=sys.stderr)
        return [failed(m, "error", "setup: " + _short(e, 4000)) for m in modes]

    call_args = [*inputs, *scalars, *extras]
    cold = spec.cache == "cold" and flush_buf is not None
    for mode in modes:
        rec = {**base, "mode": mode}
        remaining = deadline - time.monotonic()
        # Keep about 5 s for each problem still to come so that eager numbers survive a slow
        # compile; the compile guard takes what is left, up to --compile-timeout.
        reserve = 5.0 * n_left
        limit = args.eager_timeout if mode == "eager" else args.compile_timeout
        limit = min(limit, remaining - (reserve if mode == "compile" else 0.0))
        if limit < 5.0:
            records.append(failed(mode, "skipped", f"time budget spent ({args.budget_s:.0f} s)"))
            continue
        t_mode = time.monotonic()
        try:
            with guard(limit):
                if mode == "eager":
                    fn = impl.fn
                else:
                    if not hasattr(torch, "compile"):
                        raise RuntimeError(f"torch.compile unavailable in torch {torch.__version__}")
                    fn = torch.compile(impl.fn)
                t0 = time.monotonic()
                out = fn(*call_args)  # first warm-up call; under torch.compile it compiles
                synchronize(device)
                rec["first_call_s"] = round(time.monotonic() - t0, 3)
                outs = out if isinstance(out, (tuple, list)) else [out]
                if len(outs) != len(spec.outputs):
                    raise RuntimeError(f"{len(outs)} outputs, expected {len(spec.outputs)}")
                rec.update(check_output(outs[0], expected, sample, spec.outputs[0], spec.tolerance))
                del out, outs
                for _ in range(max(args.warmup - 1, 0)):
                    fn(*call_args)
                synchronize(device)
                times = time_calls(fn, call_args, args.iters, flush_buf if cold else None, device)
            med = statistics.median(times)
            rec.update({
                "status": "ok",
                "median_us": round(med, 3),
                "min_us": round(min(times), 3),
                "times_us": [round(t, 3) for t in times],
                "gbps": round(spec.bytes / (med * 1e3), 2) if med > 0 else None,
                "gflops": round(spec.flops / (med * 1e3), 2) if med > 0 else None,
                "flushed": cold,
            })
        except GuardTimeout as e:
            rec.update({"status": "timeout", "error": _short(e)})
        except Exception as e:  # noqa: BLE001 - a failed mode is reported, never fatal
            print(f"[{pid} {mode}] {_short(e, 2000)}", file=sys.stderr)
            # torch.compile may wrap the guard's exception in its own (BackendCompilerFailed...).
            timed_out = "GuardTimeout" in f"{type(e).__name__}: {e}" or isinstance(e.__cause__, GuardTimeout)
            rec.update({"status": "timeout" if timed_out else "error", "error": _short(e, 4000)})
        rec["mode_s"] = round(time.monotonic() - t_mode, 3)
        if rec["status"] != "ok" and mode == "compile":
            with contextlib.suppress(Exception):
                torch._dynamo.reset()
        records.append(rec)
    del inputs, extras, expected, sample, call_args
    return records


def _fmt(v, spec):
    width = int(re.match(r"\d*", spec).group() or 0)
    return format(v, spec) if isinstance(v, (int, float)) else "-".rjust(width)


def print_row(r: dict):
    if r.get("status") == "ok":
        tail = r.get("check", "")
    else:
        tail = f"{r.get('status')}: {r.get('error', '')}"[:160]
    print(f"{r['problem']:<18} {r['mode']:<8} {_fmt(r.get('median_us'), '11.2f')} "
          f"{_fmt(r.get('min_us'), '11.2f')} {_fmt(r.get('gbps'), '9.1f')} "
          f"{_fmt(r.get('gflops'), '9.1f')} {_fmt(r.get('rel_err'), '9.2e')}  {tail}", flush=True)


def print_header():
    print(f"{'problem':<18} {'mode':<8} {'median_us':>11} {'min_us':>11} {'GB/s':>9} "
          f"{'GFLOP/s':>9} {'rel_err':>9}  check", flush=True)


def dry_run(problems_dir: Path, pids: list[str], shape_set: str) -> int:
    for pid in pids:
        spec = load_problem(problems_dir, pid, shape_set)
        ins = ", ".join(f"{t.name}:{t.dtype}{list(t.shape)} {t.dist.get('kind')}" for t in spec.inputs)
        outs = ", ".join(f"{t.name}:{t.dtype}{list(t.shape)}" for t in spec.outputs)
        sc = ", ".join(f"{n}={v}" for n, v in spec.scalars)
        print(f"{pid} [{shape_set}, {spec.cache}] in: {ins} -> out: {outs}"
              f"{' scalars: ' + sc if sc else ''}; bytes {spec.bytes} ({spec.bytes / 2**20:.1f} MiB),"
              f" flops {spec.flops}, tolerance {spec.tolerance.get('kind')}"
              f"{'' if pid in IMPLS else '  (no torch implementation)'}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape-set", default="training", help="shape set of problem.json (default training)")
    ap.add_argument("--problems", default="", help="comma-separated problem ids (default: all)")
    ap.add_argument("--modes", default="eager,compile", help="eager, compile or both (default both)")
    ap.add_argument("--json", default="", help="write the results (a JSON list) to this file")
    ap.add_argument("--problems-dir", default=str(PROBLEMS_DIR), help=argparse.SUPPRESS)
    ap.add_argument("--device", default="cuda", help="cuda (default), or cpu to test semantics only")
    ap.add_argument("--warmup", type=int, default=3, help="warm-up calls, the first compiles (default 3)")
    ap.add_argument("--iters", type=int, default=30, help="timed calls (default 30)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eager-timeout", type=float, default=60.0, help="guard per problem, eager (s)")
    ap.add_argument("--compile-timeout", type=float, default=150.0, help="guard per problem, compile (s)")
    ap.add_argument("--setup-timeout", type=float, default=60.0, help="guard on inputs + float64 check (s)")
    ap.add_argument("--budget-s", type=float, default=540.0,
                    help="whole-run budget (s); compiles are skipped when it runs short (default 540)")
    ap.add_argument("--dry-run", action="store_true", help="print the resolved shapes and bytes; no torch")
    args = ap.parse_args(argv)

    problems_dir = Path(args.problems_dir)
    available = list_problems(problems_dir)
    if not available:
        print(f"error: no problems under {problems_dir}", file=sys.stderr)
        return 2
    pids = [p.strip() for p in args.problems.split(",") if p.strip()] or available
    unknown = [p for p in pids if p not in available]
    if unknown:
        print(f"error: unknown problem(s) {', '.join(unknown)}; known: {', '.join(available)}", file=sys.stderr)
        return 2
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in ("eager", "compile") for m in modes):
        print("error: --modes takes eager, compile or eager,compile", file=sys.stderr)
        return 2
    if args.iters < 1 or args.warmup < 1:
        print("error: --iters and --warmup must be at least 1 (the first warm-up call is checked)", file=sys.stderr)
        return 2
    try:
        specs = {pid: load_problem(problems_dir, pid, args.shape_set) for pid in pids}
    except (ValueError, KeyError, ExpressionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.dry_run:
        return dry_run(problems_dir, pids, args.shape_set)

    if torch is None:
        print(f"error: PyTorch is not installed ({_TORCH_IMPORT_ERROR}); "
              "this runner needs torch with CUDA", file=sys.stderr)
        return 2
    _init_dtypes()
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            print(f"error: torch {torch.__version__} sees no CUDA device "
                  f"(built for CUDA {torch.version.cuda})", file=sys.stderr)
            return 2
        device = torch.device("cuda", torch.cuda.current_device())
        # fp32 GEMMs as the problems define them: TF32 would be off by ~1e-2 and fail the check.
        # Only the legacy switch is touched (mixing it with the fp32_precision API raises).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.backends.cuda.matmul.allow_tf32 = False
        props = torch.cuda.get_device_properties(device)
        l2 = int(getattr(props, "L2_cache_size", 0) or 0) or 50 * 2**20
        flush_buf = torch.empty(2 * l2 // 4, dtype=torch.float32, device=device)
        dev_name = torch.cuda.get_device_name(device)
    else:
        l2, dev_name, flush_buf = 0, f"{device.type} (testing only: wall-clock times)", None
    meta = {"device": dev_name, "torch": torch.__version__, "l2_bytes": l2}
    print(f"# {dev_name}, torch {torch.__version__}, shape set {args.shape_set}, "
          f"L2 {l2 / 2**20:.0f} MiB, flush {2 * l2 / 2**20:.0f} MiB on cold sets, "
          f"{args.warmup} warm-up + {args.iters} timed calls", flush=True)

    results: list[dict] = []

    def write_json():
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1) + "\n")

    deadline = time.monotonic() + args.budget_s
    t_start = time.monotonic()
    print_header()
    for i, pid in enumerate(pids):
        if pid not in IMPLS:
            recs = [{"problem": pid, "mode": m, "status": "skipped",
                     "error": "no torch implementation in this runner", **meta} for m in modes]
        else:
            try:
                recs = run_problem(pid, specs[pid], modes, args, device, flush_buf, meta, deadline,
                                   len(pids) - i - 1)
            except Exception as e:  # noqa: BLE001 - belt and braces: never abort the run
                traceback.print_exc(file=sys.stderr)
                recs = [{"problem": pid, "mode": m, "status": "error", "error": _short(e, 4000), **meta}
                        for m in modes]
        for r in recs:
            print_row(r)
        results.extend(recs)
        write_json()  # after every problem, so a killed run keeps what it measured
        if "compile" in modes:  # a fresh compile per problem: no reuse, no dynamic-shape recompile
            with contextlib.suppress(Exception):
                torch._dynamo.reset()
        if device.type == "cuda":
            torch.cuda.empty_cache()

    ok = sum(r.get("status") == "ok" for r in results)
    failed_checks = [f"{r['problem']}/{r['mode']}" for r in results
                     if r.get("status") == "ok" and not str(r.get("check", "")).startswith("ok")]
    print(f"# {ok}/{len(results)} measured in {time.monotonic() - t_start:.0f} s"
          f"{'; check failed: ' + ', '.join(failed_checks) if failed_checks else ''}"
          f"{'; results in ' + args.json if args.json else ''}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

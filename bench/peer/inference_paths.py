"""Issue 24's question: which of PyTorch's own inference paths reach 2x eager for the seed's residual U-Net
(bench/peer/resunet.py) at batch 64 on 2 threads? Each variant is checked against eager float32
(maxdiff of the probabilities) and timed by its best and median batch.

    MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824 \
      flock /tmp/halite-heavy.lock /usr/bin/python3 bench/peer/inference_paths.py eager,eager_cl,fold_cl_phase 64 4

The malloc settings are the ones halite's addon makes (native/core.cc): without them glibc serves each
batch's 42 MB activations with fresh pages and eager runs at 7-14 img/s instead of ~95-108 here.
mkldnn variants convert around torch.cat and ConvTranspose2d, which libtorch 1.13 has no oneDNN form of.
"""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch, torch.nn as nn, torch.nn.functional as F
from resunet import ResUNet
torch.set_num_threads(2)
B = int(sys.argv[2]) if len(sys.argv) > 2 else 64
STEPS = int(sys.argv[3]) if len(sys.argv) > 3 else 4
which = sys.argv[1].split(',')

def base():
    torch.manual_seed(0)
    m = ResUNet()
    # non-trivial BN statistics so folding is checked for real
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5); mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5); mod.bias.data.uniform_(-0.2, 0.2)
    return m.eval()

torch.manual_seed(1)
X = torch.rand(B, 1, 101, 101)
with torch.no_grad():
    REF = torch.sigmoid(base()(X))

class DenseT(nn.Module):
    def __init__(self, c): super().__init__(); self.c = c
    def forward(self, x): return self.c(x.to_dense()).to_mkldnn()
class FloatT(nn.Module):
    def __init__(self, c): super().__init__(); self.c = c.float()
    def forward(self, x):
        with torch.autocast('cpu', enabled=False):
            return self.c(x.float()).to(x.dtype)
def wrapT(m, W):
    m.up = nn.ModuleList([W(c) for c in m.up]); return m

class PhaseConvT(nn.Module):
    """ConvTranspose2d (groups 1, dilation 1, equal strides) as one conv2d + pixel_shuffle + crop."""
    def __init__(self, ct, cl=False):
        super().__init__()
        w = ct.weight.detach()  # [Cin, Cout, K, K]
        cin, cout, kh, kw = w.shape
        s = ct.stride[0]
        Jh, Jw = -(-kh // s), -(-kw // s)
        Wp = w.new_zeros(cout, s, s, cin, Jh, Jw)
        for rh in range(s):
            for rw in range(s):
                for th in range(Jh):
                    for tw in range(Jw):
                        k1 = s * (Jh - 1 - th) + rh; k2 = s * (Jw - 1 - tw) + rw
                        if k1 < kh and k2 < kw:
                            Wp[:, rh, rw, :, th, tw] = w[:, :, k1, k2].t()
        w2 = Wp.reshape(cout * s * s, cin, Jh, Jw)
        self.register_buffer('w', w2.contiguous(memory_format=torch.channels_last) if cl else w2)
        self.register_buffer('b', ct.bias.detach().repeat_interleave(s * s) if ct.bias is not None else None)
        self.s, self.p, self.op, self.k, self.J = s, ct.padding, ct.output_padding, (kh, kw), (Jh, Jw)
    def forward(self, x):
        H, W = x.shape[-2:]
        s = self.s
        Ho = (H - 1) * s - 2 * self.p[0] + self.k[0] + self.op[0]
        Wo = (W - 1) * s - 2 * self.p[1] + self.k[1] + self.op[1]
        Rh = max(self.J[0] - 1, -(-(Ho + self.p[0]) // s) - H); Rw = max(self.J[1] - 1, -(-(Wo + self.p[1]) // s) - W)
        z = F.conv2d(x, self.w, self.b, padding=(Rh, Rw))
        u = F.pixel_shuffle(z, s)
        oh = self.p[0] + s * (Rh - self.J[0] + 1); ow = self.p[1] + s * (Rw - self.J[1] + 1)
        return u[..., oh:oh + Ho, ow:ow + Wo]


def fx_fold(m):
    # what halite folds: each residual block's conv1 into act2's BN (the only conv -> BN pairs)
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    for lv in list(m.enc) + [m.middle] + list(m.dec):
        for r in (lv.res1, lv.res2):
            r.conv1 = fuse_conv_bn_eval(r.conv1, r.act2.bn); r.act2.bn = nn.Identity()
    return m

def fwd_mk(m, x):
    skips = []
    for i, level in enumerate(m.enc):
        x = level(x); skips.append(x); x = F.max_pool2d(x, 2)
    x = m.middle(x)
    for k, level in enumerate(m.dec):
        u = m.up[k](x.to_dense())
        x = level(torch.cat([u, skips[3 - k].to_dense()], 1).to_mkldnn())
    return m.head(x)

def variants():
    v = {}
    def eager():
        m = base(); return (lambda: torch.sigmoid(m(X)))
    def eager_cl():
        m = base().to(memory_format=torch.channels_last); x = X.contiguous(memory_format=torch.channels_last)
        return (lambda: torch.sigmoid(m(x)))
    def fold():
        m = fx_fold(base()); return (lambda: torch.sigmoid(m(X)))
    def fold_cl():
        m = fx_fold(base()).to(memory_format=torch.channels_last); x = X.contiguous(memory_format=torch.channels_last)
        return (lambda: torch.sigmoid(m(x)))
    def freeze():
        m = torch.jit.freeze(torch.jit.script(base())); return (lambda: torch.sigmoid(m(X)))
    def freeze_trace():
        m = torch.jit.freeze(torch.jit.trace(base(), X[:2])); return (lambda: torch.sigmoid(m(X)))
    def ofi():
        m = torch.jit.optimize_for_inference(torch.jit.script(base())); return (lambda: torch.sigmoid(m(X)))
    def ofi_trace():
        m = torch.jit.optimize_for_inference(torch.jit.trace(base(), X[:2])); return (lambda: torch.sigmoid(m(X)))
    def fold_cl_phase():
        m = fx_fold(base()).to(memory_format=torch.channels_last); x = X.contiguous(memory_format=torch.channels_last)
        m.up = nn.ModuleList([PhaseConvT(c, True) for c in m.up])
        return (lambda: torch.sigmoid(m(x)))
    def bf16_cl_phase():
        m = fx_fold(base())
        m.up = nn.ModuleList([PhaseConvT(c, True) for c in m.up])
        m = m.bfloat16().to(memory_format=torch.channels_last); x = X.bfloat16().contiguous(memory_format=torch.channels_last)
        return (lambda: torch.sigmoid(m(x).float()))
    def fold_phase():
        m = fx_fold(base())
        m.up = nn.ModuleList([PhaseConvT(c) for c in m.up])
        return (lambda: torch.sigmoid(m(X)))
    def freeze_trace_cl():
        m0 = base().to(memory_format=torch.channels_last); x = X.contiguous(memory_format=torch.channels_last)
        m = torch.jit.freeze(torch.jit.trace(m0, x[:2])); return (lambda: torch.sigmoid(m(x)))
    def ofi_trace_cl():
        m0 = base().to(memory_format=torch.channels_last); x = X.contiguous(memory_format=torch.channels_last)
        m = torch.jit.optimize_for_inference(torch.jit.trace(m0, x[:2])); return (lambda: torch.sigmoid(m(x)))
    def inference_mode_cl():
        m = fx_fold(base()).to(memory_format=torch.channels_last); x = X.contiguous(memory_format=torch.channels_last)
        def f():
            with torch.inference_mode():
                return torch.sigmoid(m(x))
        return f
    def mkldnn():
        from torch.utils import mkldnn as mu
        m = mu.to_mkldnn(base())
        return (lambda: torch.sigmoid(fwd_mk(m, X.to_mkldnn()).to_dense()))
    def mkldnn_fold():
        from torch.utils import mkldnn as mu
        m = mu.to_mkldnn(fx_fold(base()))
        return (lambda: torch.sigmoid(fwd_mk(m, X.to_mkldnn()).to_dense()))
    def bf16_autocast():
        m = wrapT(base(), FloatT)
        def f():
            with torch.autocast('cpu', dtype=torch.bfloat16):
                return torch.sigmoid(m(X).float())
        return f
    def bf16_model():
        m = wrapT(base().bfloat16(), FloatT); x = X.bfloat16(); return (lambda: torch.sigmoid(m(x).float()))
    def bf16_model_cl():
        m = wrapT(base().bfloat16(), FloatT).to(memory_format=torch.channels_last); x = X.bfloat16().contiguous(memory_format=torch.channels_last); return (lambda: torch.sigmoid(m(x).float()))
    def inference_mode():
        m = base()
        def f():
            with torch.inference_mode():
                return torch.sigmoid(m(X))
        return f
    def no_mkldnn():
        m = base()
        def f():
            with torch.backends.mkldnn.flags(enabled=False):
                return torch.sigmoid(m(X))
        return f
    for k, fn in list(locals().items()):
        if callable(fn) and k not in ('v',): v[k] = fn
    return v

V = variants()
out = {}
for name in which:
    try:
        f = V[name]()
        with torch.no_grad():
            y = f()
            diff = (y.float() - REF).abs().max().item()
            for _ in range(1): f()
            ts = []
            for _ in range(STEPS):
                t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
            ts.sort()
            rate = B / ts[0]; med = B / ts[len(ts) // 2]
        out[name] = (rate, diff)
        print(f'{name:16s} {rate:7.1f} img/s (best step; median {med:6.1f})  maxdiff {diff:.2e}', flush=True)
    except Exception as e:
        print(f'{name:16s} FAILED {type(e).__name__}: {str(e)[:200]}', flush=True)

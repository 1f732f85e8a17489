"""The reference for halite's mixed-precision test: the seed's residual U-Net in PyTorch (train mode,
no dropout), one BCE forward/backward on given tiles under torch.autocast, its weights and gradients
saved with halite's parameter names so halite can load the one and compare the other.

  python3 resunet_grads.py X.bin Y.bin N PRECISION WEIGHTS.safetensors GRADS.safetensors [THREADS]  -> {"loss": ...}

X.bin and Y.bin hold N float32 tiles of 101x101; PRECISION is fp32 or bf16. THREADS (default 2) must match
the caller's intra-op threads: bfloat16 gradients depend on the reduction order, and with 1 thread against 2
they differ by about 20% of their norm (measured on the residual U-Net).
"""
import json, sys
import torch
import torch.nn.functional as F
from encoders import save_safetensors
from resunet import ResUNet


def halite_name(key):
    # enc.0 -> enc1; the decoder runs from the deepest level, so up.0/dec.0 -> up4/dec4.
    parts = key.split('.')
    if parts[0] == 'enc':
        parts[:2] = [f'enc{int(parts[1]) + 1}']
    elif parts[0] in ('up', 'dec'):
        parts[:2] = [f'{parts[0]}{4 - int(parts[1])}']
    return '.'.join(parts)


def main():
    xs, ys, n, precision, weights, grads = sys.argv[1:7]
    n = int(n)
    torch.set_num_threads(int(sys.argv[7]) if len(sys.argv) > 7 else 2)
    torch.manual_seed(0)
    m = ResUNet(ratio=0.0)
    m.train()
    save_safetensors(weights, {halite_name(k): v for k, v in m.state_dict().items()})
    x = torch.frombuffer(bytearray(open(xs, 'rb').read()), dtype=torch.float32).view(n, 1, 101, 101)
    y = torch.frombuffer(bytearray(open(ys, 'rb').read()), dtype=torch.float32).view(n, 1, 101, 101)
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=precision == 'bf16'):
        out = m(x)
    loss = F.binary_cross_entropy_with_logits(out.float(), y)
    loss.backward()
    save_safetensors(grads, {halite_name(k): p.grad for k, p in m.named_parameters()})
    print(json.dumps({'loss': loss.item()}))


if __name__ == '__main__':
    main()

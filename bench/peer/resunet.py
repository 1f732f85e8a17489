"""The peer for `halite bench engine`: the same residual U-Net ("Model 2" of the Keras TGS
write-up, 16 start filters, 101x101) in PyTorch's Python front end, timed the same way.

Prints one JSON line: {"params":..,"train_img_s":..,"infer_img_s":..,"infer_bf16_img_s":..,"channels_last":..}.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BatchActivate(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.bn = nn.BatchNorm2d(f, eps=1e-3, momentum=0.01)

    def forward(self, x):
        return F.relu(self.bn(x))


class ResidualBlock(nn.Module):
    def __init__(self, f, batch_activate):
        super().__init__()
        self.act1 = BatchActivate(f)
        self.conv1 = nn.Conv2d(f, f, 3, padding=1)
        self.act2 = BatchActivate(f)
        self.conv2 = nn.Conv2d(f, f, 3, padding=1)
        self.act_out = BatchActivate(f) if batch_activate else None

    def forward(self, x):
        y = self.conv2(self.act2(self.conv1(self.act1(x)))) + x
        return self.act_out(y) if self.act_out is not None else y


class Level(nn.Module):
    def __init__(self, cin, f):
        super().__init__()
        self.conv = nn.Conv2d(cin, f, 3, padding=1)
        self.res1 = ResidualBlock(f, False)
        self.res2 = ResidualBlock(f, True)

    def forward(self, x):
        return self.res2(self.res1(self.conv(x)))


class ResUNet(nn.Module):
    def __init__(self, s=16, ratio=0.5):
        super().__init__()
        f = [s, s * 2, s * 4, s * 8]
        self.enc = nn.ModuleList([Level(1 if i == 0 else f[i - 1], c) for i, c in enumerate(f)])
        self.middle = Level(s * 8, s * 16)
        same = [True, False, True, False]
        self.up = nn.ModuleList([
            nn.ConvTranspose2d(f[l] * 2, f[l], 3, stride=2, padding=1 if same[k] else 0,
                               output_padding=1 if same[k] else 0)
            for k, l in enumerate([3, 2, 1, 0])])
        self.dec = nn.ModuleList([Level(f[l] * 2, f[l]) for l in [3, 2, 1, 0]])
        self.head = nn.Conv2d(s, 1, 1)
        self.drop_half = nn.Dropout(ratio / 2)
        self.drop = nn.Dropout(ratio)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        skips = []
        for i, level in enumerate(self.enc):
            x = level(x)
            skips.append(x)
            x = (self.drop_half if i == 0 else self.drop)(F.max_pool2d(x, 2))
        x = self.middle(x)
        for k, level in enumerate(self.dec):
            x = level(self.drop(torch.cat([self.up[k](x), skips[3 - k]], 1)))
        return self.head(x)


def measure(channels_last, args):
    torch.manual_seed(0)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = ResUNet().to(memory_format=fmt)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(args.batch, 1, 101, 101).contiguous(memory_format=fmt)
    y = (torch.rand(args.batch, 1, 101, 101) > 0.5).float().contiguous(memory_format=fmt)
    model.train()

    def step():
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            out = model(x)
        loss = F.binary_cross_entropy_with_logits(out.float(), y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    train = args.batch * args.steps / (time.perf_counter() - t0)

    model.eval()
    xi = torch.rand(args.infer_batch, 1, 101, 101).contiguous(memory_format=fmt)
    with torch.no_grad():
        for _ in range(args.warmup):
            torch.sigmoid(model(xi))
        t0 = time.perf_counter()
        for _ in range(args.infer_steps):
            torch.sigmoid(model(xi))
        infer = args.infer_batch * args.infer_steps / (time.perf_counter() - t0)
        infer_bf16 = None
    # bfloat16 autocast, as halite predict --precision bf16 runs it: logits back to float32 before the sigmoid.
    if args.infer_bf16 == "yes":
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            for _ in range(args.warmup):
                torch.sigmoid(model(xi).float())
            t0 = time.perf_counter()
            for _ in range(args.infer_steps):
                torch.sigmoid(model(xi).float())
            infer_bf16 = args.infer_batch * args.infer_steps / (time.perf_counter() - t0)
    return {"params": params, "train_img_s": train, "infer_img_s": infer, "infer_bf16_img_s": infer_bf16, "channels_last": channels_last}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--infer-batch", type=int, default=64)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--infer-steps", type=int, default=3)
    p.add_argument("--channels-last", choices=["yes", "no"], required=True)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--infer-bf16", choices=["yes", "no"], default="yes")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps({"torch": torch.__version__, **measure(args.channels_last == "yes", args)}), flush=True)


if __name__ == "__main__":
    main()

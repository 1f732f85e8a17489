"""The peer for `halite bench ddp`: PyTorch's own DistributedDataParallel over Gloo, timed the same way.

One rank per process, placed by torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
--mode train: steps of the residual U-Net (resunet.py) on random 101x101 tiles, wrapped in DDP
  (25 MiB buckets, allreduce overlapped with backward) when WORLD_SIZE > 1. (PyTorch 1.13's
  SyncBatchNorm runs on CUDA only, so there is no CPU peer for halite's --sync-batchnorm.)
--mode allreduce: the gradient exchange alone, as halite does it: --bytes of float32 in 25 MiB
  buckets, each dist.all_reduce'd (sum) then divided by the world size, per step.

Prints one JSON line: {"rank":..,"world":..,"step_ms":..,"params":..}.
"""
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from resunet import ResUNet

BUCKET_BYTES = 25 * 2**20


def train(args, world):
    torch.manual_seed(0)
    model = ResUNet()
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=25)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(args.batch, 1, 101, 101)
    y = (torch.rand(args.batch, 1, 101, 101) > 0.5).float()
    model.train()

    def step():
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(x), y).backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    if world > 1:
        dist.barrier()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    return (time.perf_counter() - t0) * 1000 / args.steps, params


def allreduce(args, world):
    n = args.bytes // 4
    per = BUCKET_BYTES // 4
    buckets = [torch.rand(min(per, n - i)) for i in range(0, n, per)]

    def step():
        for b in buckets:
            dist.all_reduce(b)
            b.div_(world)

    for _ in range(args.warmup):
        step()
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    return (time.perf_counter() - t0) * 1000 / args.steps, n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["train", "allreduce"], required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--bytes", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        dist.init_process_group("gloo")
    step_ms, params = (train if args.mode == "train" else allreduce)(args, world)
    rank = dist.get_rank() if world > 1 else 0
    if world > 1:
        dist.destroy_process_group()
    print(json.dumps({"rank": rank, "world": world, "step_ms": step_ms, "params": params}), flush=True)


if __name__ == "__main__":
    main()

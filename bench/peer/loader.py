"""The peer for `halite bench loader`: shuffled batches of a TGS training set through
torch.utils.data.DataLoader over a TensorDataset (one worker process, kept across epochs), each
ending as float32 [batch, 1, 101, 101] image and mask tensors, as halite's training step takes them.
Usage: loader.py TGS_DIR BATCH EPOCHS THREADS. Prints one JSON line: {"tiles":..,"img_s":..}."""
import json
import sys
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from load_tgs import load  # this script's folder is on sys.path


def main():
    root, batch, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    ids, images, masks = load(root)
    dataset = TensorDataset(torch.from_numpy(images)[:, None], torch.from_numpy(masks)[:, None])
    loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=1, persistent_workers=True,
                        generator=torch.Generator().manual_seed(0))
    for _ in loader:  # the worker's start, untimed, as on halite's side
        pass
    t0 = time.perf_counter()
    for _ in range(epochs):
        for x, y in loader:
            y = y.float()
    elapsed = time.perf_counter() - t0
    print(json.dumps({"tiles": len(ids), "img_s": len(ids) * epochs / elapsed}))


if __name__ == "__main__":
    main()

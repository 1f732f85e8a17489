"""The peer for `halite bench data`: load every training tile and mask of a TGS folder the way the
Kaggle kernels do (PIL + numpy), into one float32 image array in [0, 1] and one 0/1 mask array.
Prints one JSON line: {"tiles":..,"load_s":..}."""
import json
import os
import sys
import time

import numpy as np
from PIL import Image


def grey(path):
    """A PNG's first channel: the competition's tiles are RGB with three equal channels, halite tiles' grey."""
    a = np.asarray(Image.open(path))
    return a[..., 0] if a.ndim == 3 else a


def load(root):
    """(ids, images float32 [N, 101, 101] in [0, 1], masks uint8 [N, 101, 101] of 0/1) of ROOT/train."""
    ids = sorted(f[:-4] for f in os.listdir(os.path.join(root, "train", "images")) if f.endswith(".png"))
    images = np.stack([grey(os.path.join(root, "train", "images", i + ".png")) for i in ids]).astype(np.float32) / 255.0
    masks = np.stack([grey(os.path.join(root, "train", "masks", i + ".png")) > 0 for i in ids]).astype(np.uint8)
    assert images.shape == masks.shape == (len(ids), 101, 101), (images.shape, masks.shape)
    return ids, images, masks


def main():
    root = sys.argv[1]
    t0 = time.perf_counter()
    ids, _, masks = load(root)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"tiles": len(ids), "load_s": elapsed, "salt_pixels": int(masks.sum())}))


if __name__ == "__main__":
    main()

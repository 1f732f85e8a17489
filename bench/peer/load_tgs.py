"""The peer for `halite bench data`: load every training tile and mask of a TGS folder the way the
Kaggle kernels do (PIL + numpy), into one float32 image array in [0, 1] and one 0/1 mask array.
Prints one JSON line: {"tiles":..,"load_s":..}."""
import json
import os
import sys
import time

import numpy as np
from PIL import Image


def main():
    root = sys.argv[1]
    t0 = time.perf_counter()
    ids = sorted(f[:-4] for f in os.listdir(os.path.join(root, "train", "images")) if f.endswith(".png"))
    images = np.stack([np.asarray(Image.open(os.path.join(root, "train", "images", i + ".png")))[..., 0]
                       for i in ids]).astype(np.float32) / 255.0
    masks = np.stack([np.asarray(Image.open(os.path.join(root, "train", "masks", i + ".png"))) > 0
                      for i in ids]).astype(np.uint8)
    elapsed = time.perf_counter() - t0
    assert images.shape == masks.shape == (len(ids), 101, 101)
    print(json.dumps({"tiles": len(ids), "load_s": elapsed, "salt_pixels": int(masks.sum())}))


if __name__ == "__main__":
    main()

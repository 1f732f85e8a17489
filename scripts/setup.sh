#!/usr/bin/env bash
# Installs what halite needs on Debian 12 (as root, or with sudo) and builds it:
# libtorch (Debian's libtorch-dev, or LIBTORCH=/path/to/libtorch), the Python peers used by the
# benchmarks (PyTorch, PIL, numpy), ONNX's checker for the exported models' test (python3-onnx), Chromium for the web app's browser tests, then `npm ci`, which
# builds the addon and the library.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# libgloo-dev: the Gloo headers that libtorch's c10d headers include (native/distributed.cc, process groups).
pkgs=(build-essential python3 python3-torch python3-numpy python3-pil python3-onnx fonts-dejavu-core chromium libgloo-dev)
# OpenBLAS (OpenMP build, to share libtorch's thread pool): Debian's libtorch falls back to BLAS for
# transposed convolutions, and the reference BLAS it pulls in by default makes them half of a training step.
[ -n "${LIBTORCH:-}" ] || pkgs+=(libtorch-dev libopenblas0-openmp)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
command -v node >/dev/null || { echo "setup: Node.js 20 or newer is required" >&2; exit 1; }
# onnxruntime-node bundles its CPU runtime; its install script would also fetch CUDA parts from a host
# outside the npm registry; its documented variable skips them (halite uses the bundled CPU runtime). Not an
# .npmrc key: npm warns about unknown keys on every npm and npx command.
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund

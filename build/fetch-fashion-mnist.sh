#!/usr/bin/env bash
# Fetches Fashion-MNIST (MIT licence, too large to commit) from Debian's dataset-fashion-mnist package
# into a cache folder outside git: ${ADAPTIVEWIDTH_DATA:-$HOME/.cache/adaptive-width}/fashion-mnist/
# (or the folder given as the first argument). Idempotent: does nothing when the four files are present.
# Read by FashionMnist.TryLoad in test/Microsoft.ML.AdaptiveWidth.Datasets.
set -euo pipefail

dest="${1:-${ADAPTIVEWIDTH_DATA:-$HOME/.cache/adaptive-width}/fashion-mnist}"
files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

complete() {
  local f
  for f in "${files[@]}"; do [[ -s "$dest/$f" ]] || return 1; done
}

if complete; then
  echo "Fashion-MNIST already present in $dest"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# apt-get download needs an up-to-date package list; refresh it only when the first try fails.
if ! apt-get download dataset-fashion-mnist; then
  apt-get update
  apt-get download dataset-fashion-mnist
fi
dpkg -x dataset-fashion-mnist_*.deb x

src=x/usr/share/datasets/fashion-mnist
mkdir -p "$dest"
for f in "${files[@]}"; do
  [[ -s "$src/$f" ]] || { echo "missing $f in the package" >&2; exit 1; }
  # Copy under a temporary name first so an interrupted run never leaves a partial file that looks complete.
  cp "$src/$f" "$dest/$f.part"
  mv "$dest/$f.part" "$dest/$f"
done
echo "Fashion-MNIST written to $dest"

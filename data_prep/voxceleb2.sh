#!/usr/bin/env bash
# Prepare VoxCeleb2 (dev/mp4 layout: idXXXXX/VIDEO/NNNNN.mp4) at the paper's 256 px with a 90/10 speaker split.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 VOX2_MP4_DIR OUT_DIR [extra avface prepare options]" >&2; exit 2; }
SRC=$1; OUT=$2; shift 2
.venv/bin/avface prepare "$SRC" "$OUT" --size 256 --split 0.9 --seed 42 "$@"

#!/usr/bin/env bash
# Prepare the shared real talking-face clips (11 clips: GRID + VoxCeleb2-style) at 256 px.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-../shared/data/real}
OUT=${2:-data/prepared/real}
SIZE=${SIZE:-256}
if [ ! -d "$SRC" ]; then echo "data_prep/real_clips.sh: $SRC is absent; nothing to prepare" >&2; exit 0; fi
.venv/bin/avface prepare "$SRC" "$OUT" --size "$SIZE" --overwrite

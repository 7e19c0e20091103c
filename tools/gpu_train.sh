#!/usr/bin/env bash
# On a lent GPU machine (device tool): unpack the training data carried in .gpu_pack/, train every run of
# reports/plan.yaml at SCALE on CUDA (JOBS processes at once), and pack the runs into $OUT for the trip back.
# The GPU image has torch but no PyAV or dlib, which training never calls: tools/device_shims stands in for them.
# Usage there: SCALE=small JOBS=8 bash tools/gpu_train.sh [unpack-only]
set -euo pipefail
SCALE=${SCALE:-small}; JOBS=${JOBS:-8}
export PYTHONPATH="$PWD/tools/device_shims:$PWD" PYTHONUNBUFFERED=1
python3 tools/gpu_pack.py unpack .gpu_pack
[ "${1:-}" = unpack-only ] && exit 0
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader || true
start=$(date +%s)
python3 -m avface_nb.experiments --scale "$SCALE" --device cuda --jobs "$JOBS" --threads 2 --no-progress
echo "training wall time: $(( $(date +%s) - start )) s"
python3 tools/gpu_pack.py runs --scale "$SCALE" --out "$OUT"

#!/usr/bin/env bash
# On a lent GPU machine (device tool): unpack the training data carried in .gpu_pack/, train every run of
# reports/plan.yaml at SCALE on CUDA (JOBS processes at once, at most LIMIT seconds), and pack the finished runs into
# $OUT for the trip back (also when the time limit stops the training: finished stages are kept, the rest is retrained
# or resumed later by `make train`). The GPU image has torch but no PyAV or dlib, which training never calls:
# tools/device_shims stands in for them.   Usage there: SCALE=small JOBS=8 LIMIT=400 bash tools/gpu_train.sh [unpack-only]
set -uo pipefail
SCALE=${SCALE:-small}; JOBS=${JOBS:-8}; LIMIT=${LIMIT:-400}
export PYTHONPATH="$PWD/tools/device_shims:$PWD" PYTHONUNBUFFERED=1
python3 tools/gpu_pack.py unpack .gpu_pack || exit 1
[ "${1:-}" = unpack-only ] && { du -sh data .weights; exit 0; }
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
start=$(date +%s)
timeout "$LIMIT" python3 -m avface_nb.experiments --scale "$SCALE" --device cuda --jobs "$JOBS" --threads 2 --no-progress
echo "training exit $?, wall time $(( $(date +%s) - start )) s"
python3 tools/gpu_pack.py runs --scale "$SCALE" --out "$OUT"

#!/usr/bin/env bash
# Trains on one GPU machine within a time budget, then packs the finished run into small files
# (trainer/transfer.py) to bring back, export and register where the product runs:
#
#   trainer/gpu-run.sh SNAPSHOT OUT [SECONDS] [CONFIG] [--set KEY=VALUE ...]
#
# SNAPSHOT is a snapshot folder or a .tgz of one (datasheet.json and shards at its top).
# SECONDS (default 380) is the training time: the number of steps is fitted to it from the
# measured pace (train.py --fit-seconds). CONFIG defaults to default-gpu, the committed
# model's architecture. Back home:
#   /usr/bin/python3 trainer/transfer.py unpack OUT RUN_DIR && npx vitrine train --import-run RUN_DIR
set -u
SNAP=$1 OUT=$2 SECS=${3:-380} CONFIG=${4:-default-gpu}
shift $(( $# < 4 ? $# : 4 ))
PY=${PYTHON:-python3}
RUN=${RUN:-/tmp/vitrine-gpu-run}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT" "$RUN"
if [ -f "$SNAP" ]; then
  mkdir -p /tmp/vitrine-snapshot && tar -xzf "$SNAP" -C /tmp/vitrine-snapshot || exit 1
  SNAP=/tmp/vitrine-snapshot
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__, "cuda", torch.cuda.is_available())'
$PY trainer/train.py --snapshot "$SNAP" --out "$RUN" --config "$CONFIG" --fit-seconds "$SECS" \
  --max-seconds $(( SECS + 60 )) "$@" 2>&1 | tee "$RUN/train.log"
if [ ! -f "$RUN/final.pt" ] && [ -f "$RUN/checkpoint.pt" ]; then
  # Stopped by --max-seconds before the fitted end: finish at the step reached (a resumable change).
  step=$($PY -c 'import sys, torch; print(torch.load(sys.argv[1], map_location="cpu", weights_only=False)["step"])' "$RUN/checkpoint.pt")
  $PY trainer/train.py --snapshot "$SNAP" --out "$RUN" --config "$CONFIG" "$@" --set steps="$step" 2>&1 | tee -a "$RUN/train.log"
fi
$PY trainer/transfer.py pack "$RUN" "$OUT"

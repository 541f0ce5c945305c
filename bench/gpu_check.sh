#!/usr/bin/env bash
# The one GPU check of the generative pipeline (docs/BENCHMARKS.md, "GPU check").
#
# On a machine with an NVIDIA GPU and the project's dependencies installed, runs:
#   1. the tiny profile in float16, end to end, for both animation methods
#      (`cinealert render --dtype float16`): the half-precision path real users run;
#   2. `cinealert bench render --models full --random-weights` at 512x512 in float16:
#      per-stage times, peak GPU memory, FLOPs and fraction of the measured peak, the
#      pipeline's own overhead, the largest text-to-image batch that fits;
# and writes everything, with the GPU's name and each step's exit status, to one JSON
# file. CI never runs it (no GPU there).
#
# Usage: bench/gpu_check.sh [OUT.json]      (default: gpu-check.json)
# Environment: PYTHON (default: python3), REPEAT (timed renders per method, default 3).
set -uo pipefail

out=${1:-gpu-check.json}
python=${PYTHON:-python3}
repeat=${REPEAT:-3}

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu_check: no NVIDIA GPU here (nvidia-smi missing or failing); nothing run" >&2
    exit 3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

step() {  # step NAME COMMAND...: run, keep the log and exit status for the JSON
    local name=$1
    shift
    echo "== $name: $*" >&2
    "$@" >"$work/$name.log" 2>&1
    local rc=$?
    echo "$rc" >"$work/$name.rc"
    tail -n 5 "$work/$name.log" >&2
    if [ "$rc" -ne 0 ]; then
        status=1
    fi
}

for method in masked-sampling cinemagraph; do
    step "tiny-float16-$method" "$python" -m daemon.cli render --models tiny --device cuda \
        --dtype float16 --hazard flood --method "$method" --out "$work/tiny-$method"
done
step full-random-512 "$python" -m daemon.cli bench render --models full --random-weights \
    --device cuda --dtype float16 --size 512 --repeat "$repeat" --json "$work/full.json"

"$python" - "$work" "$out" <<'PY'
import json, subprocess, sys
from pathlib import Path

work, out = Path(sys.argv[1]), Path(sys.argv[2])
gpu = subprocess.run(
    ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
    capture_output=True, text=True, check=False,
).stdout.strip()


def load(path: Path) -> object:
    return json.loads(path.read_text()) if path.is_file() else None


steps = {}
for rc_file in sorted(work.glob("*.rc")):
    name = rc_file.stem
    steps[name] = {
        "exit_status": int(rc_file.read_text()),
        "log_tail": (work / f"{name}.log").read_text(errors="replace")[-4000:],
    }
for method in ("masked-sampling", "cinemagraph"):
    steps[f"tiny-float16-{method}"]["report"] = load(work / f"tiny-{method}" / "report.json")
steps["full-random-512"]["results"] = load(work / "full.json")
out.write_text(json.dumps({"gpu": gpu, "steps": steps}, indent=2) + "\n")
print(f"gpu_check: wrote {out}", file=sys.stderr)
PY
exit "$status"

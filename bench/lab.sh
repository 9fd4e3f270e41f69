#!/usr/bin/env bash
# routed-lab up and down of lab/seed.yaml, timed over several runs, with each phase's share.
# Targets (issue 4): up at most 5 s, down at most 2 s on a 2-core machine. Appends to bench/RESULTS.md.
# usage: sudo bench/lab.sh [RUNS]   (default 5; needs a release build: swift build -c release --static-swift-stdlib)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
lab=.build/release/routed-lab
[ -x "$lab" ] || { echo "bench/lab.sh: no $lab (swift build -c release --static-swift-stdlib)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/lab.sh: run as root" >&2; exit 1; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
ups=(); downs=(); last_up=""; last_down=""
for i in $(seq "$runs"); do
  echo "  run $i/$runs" >&2
  start=$(date +%s%N); last_up=$("$lab" up lab/seed.yaml --timings --quiet 2>&1); ups+=("$(ms "$start")")
  start=$(date +%s%N); last_down=$("$lab" down --lab seed --timings 2>&1); downs+=("$(ms "$start")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
table=$(
  echo "| step | median ms ($runs runs) | all runs ms | target |"
  echo "|---|---|---|---|"
  echo "| routed-lab up lab/seed.yaml | $(median "${ups[@]}") | ${ups[*]} | ≤ 5000 |"
  echo "| routed-lab down | $(median "${downs[@]}") | ${downs[*]} | ≤ 2000 |"
  echo
  echo "Phases of the last up:"
  echo '```'
  echo "$last_up" | sed -n '/timings/,$p'
  echo '```'
  echo "Phases of the last down:"
  echo '```'
  echo "$last_down" | sed -n '/timings/,$p'
  echo '```'
)
echo "$table"
{
  echo
  echo "## routed-lab up/down of lab/seed.yaml, $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r), $(swift --version 2>&1 | head -1)."
  echo
  echo "$table"
} >> bench/RESULTS.md

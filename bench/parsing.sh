#!/usr/bin/env bash
# Parsing time at the size limits (issue 11, defect 7): 60,000 YAML keys through `check`, 160,000 XML
# attributes through `plan`, and what 4,000 `domains:` entries add to a hook call for an unmanaged domain.
# No root, no kernel changes. Prints a table; the median of RUNS runs each (one run for anything over 5 s).
#
# usage: bench/parsing.sh [BINARY] [RUNS]   (default .build/release/routed-hook, 5 runs)
#        CASES="keys attributes hook" limits the rows (a quadratic build takes minutes per row).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/release/routed-hook}
runs=${2:-5}
[ -x "$binary" ] || { echo "bench/parsing.sh: no binary at $binary (swift build -c release --static-swift-stdlib)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
base = open("examples/lpar11.yaml").read().split("domains:")[0]
with open(f"{work}/keys.yaml", "w") as f:
    f.write(base + "x:\n" + "".join(f"  k{i}: v\n" for i in range(60000)))
with open(f"{work}/domains.yaml", "w") as f:
    # The /16 that holds 4,000 guests would overlap lpar11's HiperSockets peer 10.136.12.0/24: move the peer, so
    # that the call parses a config it accepts (not a refused one).
    f.write(base.replace("10.136.11.254/24", "10.136.11.254/16").replace("10.136.12.0/24", "10.137.12.0/24")
            + "domains:\n" + "".join(
        f"  guest{i}:\n    - {{ mac: \"52:54:00:00:{i >> 8:02x}:{i & 255:02x}\", address: 10.136.{20 + i // 250}.{1 + i % 250} }}\n"
        for i in range(4000)))
with open(f"{work}/plain.yaml", "w") as f:
    f.write(base)
attributes = "".join(f" a{i}='v'" for i in range(160000))
web = open("examples/web01.xml").read()
with open(f"{work}/attributes.xml", "w") as f:
    f.write(web.replace("<devices>", f"<devices{attributes}>", 1))
with open(f"{work}/foreign.xml", "w") as f:
    f.write(web.replace("urn:routed-hook:1", "urn:other:1").replace("<name>web01</name>", "<name>other</name>"))
PY

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
time_ms() { # time_ms COMMAND...: wall milliseconds of one run (exit status ignored)
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
measure() { # measure LABEL COMMAND...
  local label=$1 first samples
  shift
  first=$(time_ms "$@")
  samples=$first
  if [ "$first" -lt 5000 ]; then
    for _ in $(seq 2 "$runs"); do samples="$samples"$'\n'"$(time_ms "$@")"; done
  fi
  printf '| %s | %s ms |\n' "$label" "$(echo "$samples" | median)"
}
hook() { # hook CONFIG: an unmanaged domain's prepare, as libvirt calls it
  ROUTED_HOOK_CONFIG=$1 ROUTED_HOOK_STATE_DIR="$work/state" "$binary" hook qemu other prepare begin - <"$work/foreign.xml"
}

cases=${CASES:-keys attributes hook}
echo "| $binary | median |"
echo "|---|---|"
if [[ " $cases " == *" keys "* ]]; then
  measure "check, 60,000 YAML keys (770 KB)" "$binary" check --config "$work/keys.yaml"
fi
if [[ " $cases " == *" attributes "* ]]; then
  measure "plan, 160,000 XML attributes (1.6 MB)" "$binary" plan --config "$work/plain.yaml" --domain-xml "$work/attributes.xml"
fi
if [[ " $cases " == *" hook "* ]]; then
  measure "hook prepare, unmanaged, config without domains:" hook "$work/plain.yaml"
  measure "hook prepare, unmanaged, config with 4,000 domains:" hook "$work/domains.yaml"
fi

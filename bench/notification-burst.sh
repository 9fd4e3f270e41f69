#!/usr/bin/env bash
# The watch daemon's classifying cost for a burst of 4,000 notifications (a flush of 4,000 guests' routes or
# set elements): the decoders with DriftClassifier against the fixed-offset classifier they replaced, side by
# side in one process (bench/notification-burst/). Builds RoutedCore and RoutedKernel with -O and whole-module
# optimisation, as a release build does, into .build-bench. No root, no kernel changes; prints the ratios.
# Hold /work/bench.lock and /work/lab.lock while it measures (TEAM.md).
#
# usage: bench/notification-burst.sh [ROUNDS]   (default 100 rounds of each, alternating)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-100}
out=.build-bench
mkdir -p "$out/lib"
maps=()
for map in Sources/C*/module.modulemap; do maps+=(-Xcc "-fmodule-map-file=$PWD/$map"); done
for name in RoutedCore RoutedKernel; do
  lib="$out/lib/lib$name.a"
  if [ -f "$lib" ] && [ -z "$(find "Sources/$name" -newer "$lib" -name '*.swift' | head -1)" ]; then continue; fi
  echo "bench/notification-burst.sh: building $name (-O -wmo)" >&2
  rm -f "$lib"
  swiftc -parse-as-library -O -wmo -swift-version 6 -I "$out/lib" "${maps[@]}" -enable-testing -emit-library -static \
    -emit-module -module-name "$name" -emit-module-path "$out/lib/$name.swiftmodule" -o "$lib" Sources/"$name"/*.swift
done
swiftc -O -wmo -swift-version 5 -I "$out/lib" "${maps[@]}" bench/notification-burst/*.swift \
  "$out/lib/libRoutedKernel.a" "$out/lib/libRoutedCore.a" -lyaml -lnftnl -lmnl -o "$out/notification-burst"
uptime
"$out/notification-burst" Tests/RoutedKernelTests/Fixtures "$rounds"

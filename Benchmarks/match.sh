#!/usr/bin/env bash
# Benchmark of `ksleuth match` (not a test): builds release, concatenates every crash-report file of the shared
# corpus (../shared/corpus/backtraces) into one input, runs `ksleuth match` (text output, the default) on it RUNS
# times and prints one markdown table row with the best run: | command | input | reports | seconds | reports/s |.
# The report count comes from an untimed --json run. MATCH_BENCH_JSON=1 adds a second row for `match --json`.
# Target: >= 5,000 reports/s. Usage: Benchmarks/match.sh [RUNS]   (from anywhere; needs ../shared beside the package)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
RUNS="${1:-5}"
CORPUS="../shared/corpus/backtraces"
if [ ! -d "$CORPUS" ]; then
  echo "match.sh: $CORPUS not found (the shared corpus lives beside the package); nothing to measure" >&2
  exit 0
fi
swift build -c release --product ksleuth >/dev/null
BIN=.build/release/ksleuth
mkdir -p bench-data
INPUT=bench-data/backtraces-corpus.txt
find "$CORPUS" -type f ! -name '*.source' ! -name '*.md' ! -name '*.tsv' -print0 | sort -z | xargs -0 cat > "$INPUT"
FILES=$(find "$CORPUS" -type f ! -name '*.source' ! -name '*.md' ! -name '*.tsv' | wc -l)
BYTES=$(wc -c < "$INPUT")
"$BIN" match --json "$INPUT" > bench-data/match.json || true
REPORTS=$(grep -c '"source" : ' bench-data/match.json || true)
MODES=("match")
[ "${MATCH_BENCH_JSON:-0}" = 1 ] && MODES+=("match --json")
for args in "${MODES[@]}"; do
  best=""
  for _ in $(seq "$RUNS"); do
    start=$(date +%s.%N)
    "$BIN" $args "$INPUT" > /dev/null || true
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  RATE=$(echo "$REPORTS / $best" | bc -l)
  printf '| ksleuth %s | %d corpus files, %.1f MB | %d reports | %.3f s | %.0f reports/s |\n' \
    "$args" "$FILES" "$(echo "$BYTES / 1048576" | bc -l)" "$REPORTS" "$best" "$RATE"
done

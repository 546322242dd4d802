#!/usr/bin/env bash
# Binary readers against their peers, in one run (not a test; `make bench` runs it after run.sh):
#   - trace-cmd .dat: `ksleuth stats` vs `trace-cmd report > /dev/null` (and `-N`, the rendering ksleuth mirrors)
#     on large v6 files made by Benchmarks/datgen.py from two corpus .dat files (pages repeated DAT_COPIES times,
#     default 300): lisa sched_load (tracepoints: 1.1 M records) and lisa example_rtapp (80% trace_printk bprint
#     records: 2.3 M), and on the v7 (compressed) conversion of the first;
#   - CTF: `ksleuth stats` vs `babeltrace2 -o dummy` on an LTTng-like kernel trace of CTF_EVENTS events (default
#     10 M, 8 CPUs) written by Benchmarks/ctfgen.py.
# Inputs are generated once into bench-data/. Each tool runs REPEAT times (default 3) on a warm page cache; the
# markdown table shows the best wall time and its peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-3}
DAT_COPIES=${DAT_COPIES:-300}
CTF_EVENTS=${CTF_EVENTS:-10000000}
DATA=bench-data
mkdir -p "$DATA"

swift build -c release --product ksleuth >/dev/null
KS=.build/release/ksleuth

measure() {  # best-of-REPEAT "wall rss" of a command, its output discarded
  local best="" rss=""
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f "%e %M" -o /tmp/ksleuth-bench.time "$@" > /dev/null 2>&1 || true
    read -r t m < /tmp/ksleuth-bench.time
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
  done
  echo "$best $rss"
}
events_of() { "$KS" stats --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['events'])"; }

rows=()
row() {  # tool input events "wall rss" baseline-wall
  local t rss; read -r t rss <<< "$4"
  local ratio; ratio=$(awk "BEGIN{printf \"%.2f×\", $t / $5}")
  rows+=("| $1 | $2 | $3 | $t s | $(awk "BEGIN{printf \"%.0f\", $3 / ($t > 0 ? $t : 1e-9)}") | $((rss / 1024)) MB | $ratio |")
}

# --- trace-cmd .dat
corpus=../shared/corpus/traces/ftrace/lisa
if [ -d "$corpus" ] && command -v trace-cmd >/dev/null; then
  files=()
  for name in sched_load example_rtapp; do
    dat="$DATA/$name-x$DAT_COPIES.dat"
    [ -s "$dat" ] || { echo "generating $dat ..." >&2; python3 Benchmarks/datgen.py "$corpus/$name/trace.dat" "$dat" "$DAT_COPIES"; }
    files+=("$dat")
  done
  dat7="$DATA/sched_load-x$DAT_COPIES-v7.dat"
  [ -s "$dat7" ] || trace-cmd convert --file-version 7 --compression any -i "${files[0]}" -o "$dat7" >/dev/null 2>&1
  files+=("$dat7")
  for f in "${files[@]}"; do
    cat "$f" > /dev/null
    n=$(events_of "$f"); v=$(basename "$f")
    base=$(measure trace-cmd report "$f"); bt=${base% *}
    row "trace-cmd report" "$v" "$n" "$base" "$bt"
    row "trace-cmd report -N" "$v" "$n" "$(measure trace-cmd report -N "$f")" "$bt"
    row "**ksleuth stats**" "$v" "$n" "$(measure "$KS" stats "$f")" "$bt"
  done
else
  echo "skipping .dat: needs ../shared (corpus) and trace-cmd" >&2
fi

# --- CTF
if command -v babeltrace2 >/dev/null; then
  ctf="$DATA/lttng-like-$CTF_EVENTS"
  [ -s "$ctf/metadata" ] || { echo "generating $ctf ..." >&2; python3 Benchmarks/ctfgen.py "$ctf" "$CTF_EVENTS" 8; }
  cat "$ctf"/* > /dev/null
  n=$(events_of "$ctf")
  base=$(measure babeltrace2 "$ctf" -o dummy); bt=${base% *}
  row "babeltrace2 -o dummy" "$(basename "$ctf")" "$n" "$base" "$bt"
  row "**ksleuth stats**" "$(basename "$ctf")" "$n" "$(measure "$KS" stats "$ctf")" "$bt"
else
  echo "skipping CTF: babeltrace2 is not installed" >&2
fi

echo
echo "| tool | input | events | wall (best of $REPEAT) | events/s | peak RSS | time vs peer |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Machine: $(nproc) CPUs, $(uname -r); trace-cmd $(trace-cmd --version 2>/dev/null | awk '/version/{print $3; exit}'), babeltrace2 $(babeltrace2 --version 2>/dev/null | awk 'NR==1{print $2}')."

#!/usr/bin/env bash
# `make bench`: ksleuth stats against its peers, side by side, in one run.
#
# Generates (once, cached in bench-data/) a realistic 5-flag ftrace text trace of BENCH_SIZE (default 1G) and a
# 4-flag one of BENCH_TRAPPY_SIZE (default 50M, because trappy reads only 4-flag lines and runs at a few MB/s),
# then times each tool REPEAT times (default 3) on a warm page cache and prints a markdown table of the best run:
# wall time, MB/s, events/s and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${BENCH_SIZE:-1G}
TRAPPY_SIZE=${BENCH_TRAPPY_SIZE:-50M}
REPEAT=${REPEAT:-3}
DATA=bench-data
mkdir -p "$DATA"

swift build -c release --product ksleuth >/dev/null
swift build -c release --product ksleuth-tracegen >/dev/null
KS=.build/release/ksleuth
GEN=.build/release/ksleuth-tracegen

big="$DATA/trace-5flag-$SIZE.txt"
small="$DATA/trace-4flag-$TRAPPY_SIZE/trace.txt"
[ -s "$big" ] || { echo "generating $big ..." >&2; "$GEN" --size "$SIZE" --flags 5 > "$big"; }
mkdir -p "$(dirname "$small")"
[ -s "$small" ] || { echo "generating $small ..." >&2; "$GEN" --size "$TRAPPY_SIZE" --flags 4 > "$small"; }

have_trappy=0
python3 -c "import trappy" 2>/dev/null && have_trappy=1 || {
  echo "trappy not installed: trying pip install trappy (peer for the table)" >&2
  pip install -q trappy >/dev/null 2>&1 && python3 -c "import trappy" 2>/dev/null && have_trappy=1 || true
}

# best-of-REPEAT wall seconds, peak RSS (KiB) and CPU seconds (user + system) of a command. CPU time is the
# steadier figure when other work shares the machine; wall time is what a user waits.
measure() {
  local best="" rss="" cpu=""
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f "%e %M %U %S" -o /tmp/ksleuth-bench.time "$@" > /tmp/ksleuth-bench.out 2>/dev/null
    read -r t m u s < /tmp/ksleuth-bench.time
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; cpu=$(awk "BEGIN{print $u + $s}"); fi
  done
  echo "$best $rss $cpu"
}

cat "$big" > /dev/null; cat "$small" > /dev/null   # warm the page cache
bytes=$(stat -c %s "$big"); sbytes=$(stat -c %s "$small")
events=$("$KS" stats --json --threads 1 "$big" | python3 -c "import json,sys; print(json.load(sys.stdin)['events'])")
sevents=$("$KS" stats --json --threads 1 "$small" | python3 -c "import json,sys; print(json.load(sys.stdin)['events'])")

rows=()
row() { # name file-bytes events wall rss cpu note
  local name=$1 b=$2 ev=$3 t=$4 m=$5 c=$6 note=$7
  rows+=("$(awk -v n="$name" -v b="$b" -v e="$ev" -v t="$t" -v m="$m" -v c="$c" -v note="$note" 'BEGIN{
    mbs = (t > 0) ? b/1e6/t : 0; eps = (t > 0 && e > 0) ? e/t : 0; cmbs = (c > 0) ? b/1e6/c : 0;
    printf "| %s | %.0f MB | %.2f s | %.0f MB/s | %s | %.2f s | %.0f MB/s | %.0f MB | %s |", n, b/1e6, t, mbs, (e > 0 ? sprintf("%.2f M/s", eps/1e6) : "—"), c, cmbs, m/1024, note }')")
}

read -r t m c < <(measure cat "$big");                       row "cat > /dev/null" "$bytes" 0 "$t" "$m" "$c" "reads the bytes, parses nothing"
read -r t m c < <(measure wc -l "$big");                     row "wc -l" "$bytes" 0 "$t" "$m" "$c" "counts lines"
read -r t m c < <(measure "$KS" stats --threads 1 "$big");   row "ksleuth stats, 1 thread" "$bytes" "$events" "$t" "$m" "$c" "full parse + statistics"
read -r t m c < <(measure "$KS" stats --threads 2 "$big");   row "ksleuth stats, 2 threads" "$bytes" "$events" "$t" "$m" "$c" "two readers over aligned halves"
read -r t m c < <(measure "$KS" stats --threads 1 "$small"); row "ksleuth stats, 1 thread (4-flag file)" "$sbytes" "$sevents" "$t" "$m" "$c" "same file as trappy"
if [ "$have_trappy" = 1 ]; then
  tevents=$(cd "$(dirname "$small")" && python3 -W ignore -c "
import trappy
t = trappy.FTrace('trace.txt', normalize_time=False)
print(sum(len(getattr(t, n).data_frame) for n in t.class_definitions))" 2>/dev/null || echo 0)
  read -r t m c < <(measure python3 -W ignore -c "import trappy; trappy.FTrace('$small', normalize_time=False)")
  row "trappy 6.0.1 FTrace (4-flag file)" "$sbytes" "$tevents" "$t" "$m" "$c" "parses only the events it knows ($tevents of $sevents)"
else
  rows+=("| trappy | — | — | — | — | — | — | — | not installed (pip install trappy) |")
fi

echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); best of $REPEAT runs, warm page cache; load average before: $(cut -d' ' -f1 /proc/loadavg)."
echo "Input: $(basename "$big") ($events events), $(basename "$(dirname "$small")")/trace.txt ($sevents events)"
echo
echo "| tool | input | wall | throughput | events/s | CPU time | MB per CPU-second | peak RSS | note |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
[ -f Benchmarks/match.sh ] && { echo; bash Benchmarks/match.sh; } || true
# The binary readers against trace-cmd report and babeltrace2 (generates its own inputs once).
[ -f Benchmarks/binary.sh ] && { echo; bash Benchmarks/binary.sh; } || true

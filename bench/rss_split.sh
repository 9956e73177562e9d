#!/usr/bin/env bash
# Runs a command and samples its JVM's /proc/PID/status every second: prints the peak RSS with its split into
# file-backed pages (e.g. a memory-mapped checkpoint), anonymous pages (heap, off-heap tensors) and shared memory,
# as measured at the sample of the peak, plus the phase line the command printed last before it (stderr+stdout).
#
#   bench/rss_split.sh LOG -- CMD ARGS...     (the command's output goes to LOG, the samples to LOG.rss)
#
# The process sampled is the command's last descendant (the JVM, also under /usr/bin/time). Sampling misses spikes
# shorter than a second; /usr/bin/time -v's peak is the exact maximum.
set -euo pipefail
log=$1; shift; [ "$1" = -- ] && shift
"$@" >"$log" 2>&1 &
pid=$!
: >"$log.rss"
peak=0 at=""
while kill -0 "$pid" 2>/dev/null; do
  leaf=$pid # the command's last descendant: the JVM under /usr/bin/time and ./jswift (which execs java)
  while c=$(pgrep -P "$leaf" | head -n 1) && [ -n "$c" ]; do leaf=$c; done
  if r=$(awk '/^VmRSS:/ {rss=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} /^RssShmem:/ {s=$2} END {print rss+0, a+0, f+0, s+0}' \
      "/proc/$leaf/status" 2>/dev/null); then
    set -- $r
    echo "$SECONDS s: rss $1 anon $2 file $3 shmem $4 kB" >>"$log.rss"
    if [ "${1:-0}" -gt "$peak" ]; then peak=$1; at="anon $2 kB, file $3 kB, shmem $4 kB; last line: $(grep -v WARNING "$log" | tail -n 1 || true)"; fi
  fi
  sleep 1
done
wait "$pid" || { echo "command failed (exit $?), log $log" >&2; tail -n 20 "$log" >&2; exit 1; }
printf 'peak sampled RSS %.2f GiB (%s)\n' "$(echo "$peak / 1048576" | bc -l)" "$at"

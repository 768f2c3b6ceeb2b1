#!/bin/sh
# fuzz/run.sh [SECONDS [JOBS]]: fuzz both front ends of xlbc at once, each
# for SECONDS (default 3600), with libFuzzer, ASan and UBSan.  Run from the
# top of the build tree after 'make fuzz' (fuzz/run.sh, or
# SRCDIR/fuzz/run.sh from a separate build directory).
#
# Each harness starts from a working corpus in fuzz/work/<syntax>/ (kept
# between runs), seeded with the checked-in corpus fuzz/corpus/<syntax>/,
# the example rulesets, the fixtures' rules and the diagnostics tests.
# Crashes land in fuzz/work/<syntax>-crash-*; the logs in fuzz/work/*.log.
# JOBS (default 1) parallel workers per harness.
set -eu
secs=${1:-3600}
jobs=${2:-1}
top=$(pwd)
srcdir=$(cd "$(dirname "$0")/.." && pwd)
for f in fuzz/fuzz-text fuzz/fuzz-yaml; do
	[ -x "$f" ] || {
		echo "run.sh: $f is missing: run 'make fuzz' first" >&2
		exit 1
	}
done
mkdir -p fuzz/work/text fuzz/work/yaml

run() { # syntax, seed directories...
	_syn=$1
	shift
	_par=
	[ "$jobs" -gt 1 ] && _par="-jobs=$jobs -workers=$jobs"
	# libFuzzer's -jobs writes fuzz-<n>.log into the current directory:
	# each harness runs in a directory of its own.
	mkdir -p "fuzz/work/$_syn.run"
	# shellcheck disable=SC2086
	(cd "fuzz/work/$_syn.run" && exec "$top/fuzz/fuzz-$_syn" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=4096 -dict="$srcdir/fuzz/rules.dict" \
		-artifact_prefix="$top/fuzz/work/$_syn-crash-" $_par \
		"$top/fuzz/work/$_syn" "$@") >"fuzz/work/$_syn.log" 2>&1
}

seeds=fuzz/work/seeds
rm -rf "$seeds"
mkdir -p "$seeds/text" "$seeds/yaml"
cp "$srcdir"/rules/*.conf "$srcdir"/t/diag/*.conf "$srcdir"/t/fixtures/*.conf \
	"$srcdir"/t/yaml/*.conf "$seeds/text/"
cp "$srcdir"/t/yaml/*.yaml "$srcdir"/t/diag/*.yaml "$seeds/yaml/"

run text "$srcdir/fuzz/corpus/text" "$top/$seeds/text" &
p1=$!
run yaml "$srcdir/fuzz/corpus/yaml" "$top/$seeds/yaml" &
p2=$!
rc=0
wait $p1 || rc=1
wait $p2 || rc=1
for syn in text yaml; do
	echo "== $syn: $(ls fuzz/work/$syn | wc -l) inputs in fuzz/work/$syn"
	grep -h -E 'DONE|ERROR|SUMMARY' "fuzz/work/$syn.log" \
		"fuzz/work/$syn.run"/fuzz-*.log 2>/dev/null | tail -n 3 || true
done
ls fuzz/work/*-crash-* 2>/dev/null && rc=1
exit $rc

#!/usr/bin/env bash
# Runs every libFuzzer target of a HERALD_FUZZ build for a while, each on a scratch copy of its
# seed corpus (so the tree is not modified), with its dictionary if there is one.
# Usage: tests/fuzz/run.sh <build-dir> [seconds-per-target, default 60]
# Exits non-zero if any target crashes, leaks or times out; the target's log is printed and its
# reproducers are copied to tests/fuzz/artifacts/ (ignored by git).
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <build-dir> [seconds]" >&2
  exit 2
fi
build_dir=$1
seconds=${2:-60}
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
artifacts=$fuzz_dir/artifacts
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

shopt -s nullglob
targets=("$build_dir"/tests/fuzz/*_fuzz)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "no fuzz targets in $build_dir/tests/fuzz (configure with -DHERALD_FUZZ=ON and build)" >&2
  exit 2
fi

status=0
for target in "${targets[@]}"; do
  name=$(basename "$target" _fuzz)
  corpus=$scratch/$name
  found=$scratch/$name-artifacts
  mkdir -p "$corpus" "$found"
  if [[ -d $fuzz_dir/corpus/$name ]]; then
    cp -R "$fuzz_dir/corpus/$name/." "$corpus/"
  fi
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$found/")
  if [[ -f $fuzz_dir/$name.dict ]]; then
    args+=(-dict="$fuzz_dir/$name.dict")
  fi
  log=$scratch/$name.log
  echo "== $name: ${seconds}s"
  if "$target" "${args[@]}" "$corpus" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done' "$log" || true
  else
    echo "!! $name failed; log follows" >&2
    cat "$log" >&2
    if compgen -G "$found/*" >/dev/null; then
      mkdir -p "$artifacts"
      for f in "$found"/*; do cp "$f" "$artifacts/$name-$(basename "$f")"; done
      echo "!! reproducers copied to $artifacts/" >&2
    fi
    status=1
  fi
done
exit $status

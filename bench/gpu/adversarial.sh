#!/usr/bin/env bash
# Runs every CUDA adversarial kernel in tests/kernels/cuda through `kevo-cli eval --backend cuda`
# on problem add_relu and compares the verdict (and a piece of its detail) with the kernel's
# first line, "// expect: VERDICT | text". Prints one line per kernel; exits 1 on any mismatch.
# The inference set (small, every element checked) runs all of them; the training set (64 MB
# outputs: sampled checks, cold L2 flush) runs those whose cheat the sampled path must catch.
set -u
cli=${KEVO_CLI:-kevo-cli}
root=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
cases=()
for f in "$root"/tests/kernels/cuda/*.cu; do cases+=("inference:$f"); done
for k in memoize wrong_answer oob_write writes_input; do
  cases+=("training:$root/tests/kernels/cuda/$k.cu")
done
for c in "${cases[@]}"; do
  set_name=${c%%:*}; f=${c#*:}
  expect=$(head -1 "$f" | sed -n 's|^// expect: *||p')
  verdict=${expect%%|*}; verdict=${verdict// /}
  text=""; [[ "$expect" == *"|"* ]] && text=$(echo "${expect#*|}" | sed 's/^ *//')
  start=$(date +%s.%N)
  out=$("$cli" eval --backend cuda --problem add_relu --shape-set "$set_name" --timeout 5 \
        --source "$f" --json 2>&1)
  secs=$(python3 -c "print($(date +%s.%N) - $start)")
  got=$(echo "$out" | python3 -c 'import json,sys
try:
  j=json.load(sys.stdin); print(j["verdict"]); print(j.get("detail",""))
except Exception as e: print("unparsable"); print(str(e))' 2>/dev/null)
  gv=$(echo "$got" | head -1); gd=$(echo "$got" | tail -n +2)
  if [[ "$gv" == "$verdict" && ( -z "$text" || "$gd" == *"$text"* ) ]]; then
    printf 'ok    %-24s %-9s %-13s %5.1fs  %s\n' "$(basename "$f")" "$set_name" "$gv" "$secs" "${gd:0:110}"
  else
    printf 'FAIL  %-24s %-9s expected %s|%s got %s: %s\n' "$(basename "$f")" "$set_name" "$verdict" "$text" "$gv" "${gd:0:300}"
    echo "$out" | tail -5
    fail=1
  fi
done
exit $fail

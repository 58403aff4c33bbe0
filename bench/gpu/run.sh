#!/usr/bin/env bash
# Everything one GPU check needs, in one call on the lent GPU machine (docs/benchmarks.md):
#   bench/gpu/run.sh check   environment, GPU probe, survey of every CUDA reference/baseline,
#                            the adversarial kernels, and a short search on three problems
#   bench/gpu/run.sh bench   GPU probe, a search per problem on its training shape set, the
#                            PyTorch eager/compile runner, and the summary table
#   bench/gpu/run.sh perf    GPU probe, the adversarial kernels, the harness's cost per
#                            evaluation phase by phase, and one short search
#   bench/gpu/run.sh profile GPU probe, kevo-cli profile (Nsight Compute) under each sandbox
#                            relaxation, on a recipe and on a cuBLAS kernel
#   bench/gpu/run.sh sanitize GPU probe, kevo-cli sanitize on clean, wild-write and racy
#                            kernels and on a short search's finalists
# The Kevo binaries are built on the developer machine and carried in .devcarry/ (bin/ and
# lib/ with the two shared libraries the GPU image lacks); see bench/gpu/README.md.
set -u
mode=${1:-check}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-/tmp/kevo-gpu-out}
mkdir -p "$out"
cp -n "$root"/.devcarry/lib/* /usr/local/lib/ 2>/dev/null; ldconfig
export KEVO_DATA_DIR=$root KEVO_CACHE_DIR=/tmp/kevo-cache KEVO_WORKER=$root/.devcarry/bin/kevo-worker
export KEVO_CLI=$root/.devcarry/bin/kevo-cli PATH=/usr/local/cuda/bin:$PATH
cli=$KEVO_CLI
echo "== $(date -u +%FT%TZ) mode $mode"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
nvcc --version | tail -1
echo "== GPU probe"
$cli hw --backend cuda --reprobe || exit 1
$cli hw --backend cuda --json > "$out/gpu_hw.json"

if [[ $mode == check ]]; then
  echo "== survey (every CUDA reference and baseline, both shape sets)"
  $cli survey --backend cuda --json > "$out/survey.json" 2> "$out/survey.err"; echo "survey exit $?"
  python3 - "$out/survey.json" <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))
for p in d["problems"]:
  for role in ("reference","baseline"):
    r=p[role]
    if r is None: continue
    for s in r.get("shape_sets",[]):
      t=(s.get("timing") or {}).get("median_seconds",0)*1e6
      rf=s.get("roofline") or {}
      print(f'{p["problem"]:18s} {role:9s} {s["name"]:9s} {s["verdict"]:12s} {t:10.1f} us {100*rf.get("fraction_of_floor",0):5.1f}% floor  {s.get("detail","")[:80]}')
    if r.get("verdict")!="ok": print("   ", r.get("detail","")[:300])
PY
  tail -5 "$out/survey.err"
  echo "== adversarial kernels"
  bash "$root/bench/gpu/adversarial.sh" 2>&1 | tee "$out/adversarial.txt"
  echo "== short searches"
  [[ -n ${SKIP_SEARCH:-} ]] && exit 0
  for p in add_relu softmax gemm_square; do
    $cli search --backend cuda --problem $p --shape-set training --budget 8 --seed 1 \
      -o "$out/search_$p.kevo" --replace 2>&1 | tail -14
  done
fi
if [[ $mode == perf ]]; then
  # What an evaluation costs on the GPU, phase by phase (kevo-cli bench harness --backend cuda).
  echo "== adversarial kernels"
  bash "$root/bench/gpu/adversarial.sh" 2>&1 | tee "$out/adversarial.txt"
  echo "== harness cost per evaluation (training shape sets)"
  args=()
  for p in ${PROBLEMS:-add_relu softmax layernorm embedding_bag gemm_square}; do args+=(--problem $p); done
  $cli bench harness --backend cuda --shape-set training --evals ${EVALS:-3} "${args[@]}" --json \
    > "$out/harness.json" 2> "$out/harness.err"; echo "harness exit $?"; tail -5 "$out/harness.err"
  python3 - "$out/harness.json" <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))
print(json.dumps(d["summary"]))
for p in d["problems"]:
  ph=" ".join(f'{k}={1e3*v:.0f}ms' for k,v in p["phase_seconds_median"].items() if v > 0)
  print(f'{p["problem"]:16s} cached {1e3*p["cached_wall_seconds_median"]:6.0f} ms kernels {1e3*p["kernel_seconds_median"]:5.0f} ms fresh {1e3*p["fresh_wall_seconds"]:6.0f} ms compile {1e3*p["fresh_compile_seconds"]:5.0f} ms | {ph}')
PY
  echo "== one evaluation's worker setup (device.setup_ms)"
  $cli eval --backend cuda --problem add_relu --shape-set training --json \
    --source "$root/resources/problems/add_relu/baseline.cu" > "$out/eval_add_relu.json" 2>&1
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["verdict"], json.dumps(j["device"]), json.dumps(j["phase_seconds"]))' "$out/eval_add_relu.json"
  echo "== short search (fraction of the floor under the read-only flush)"
  $cli search --backend cuda --problem add_relu --shape-set training --budget ${BUDGET:-6} \
    --seed 1 -o "/tmp/search_add_relu.kevo" --replace --json > /tmp/search_add_relu.json 2>&1
  python3 "$root/bench/gpu/summarize_search.py" add_relu /tmp/search_add_relu.kevo $? 0 \
    | tee -a "$out/search_summary.txt"
fi
if [[ $mode == profile ]]; then
  # kevo-cli profile (Nsight Compute) on a launch-plan kernel with each sandbox relaxation,
  # then on a search recipe and a library-form (cuBLAS) kernel.
  ncu --version | tail -2
  for relax in ${RELAX_LIST:-none landlock user+landlock}; do
    r=${relax//+/,}; [[ $r == none ]] && r=","
    echo "== profile add_relu baseline, relax: $relax"
    timeout 150 $cli profile --problem add_relu --source "$root/resources/problems/add_relu/baseline.cu" \
      --shape-set training --relax "$r" --report-out "$out/ncu_add_relu_${relax//+/_}.csv" --json \
      > "$out/profile_add_relu_${relax//+/_}.json" 2> "$out/profile_add_relu_${relax//+/_}.err"
    echo "exit $?"; tail -3 "$out/profile_add_relu_${relax//+/_}.err"
    python3 -c 'import json,sys
j=json.load(open(sys.argv[1])); print(j["verdict"], j["detail"][:200], "|", j["error"][:600])
for k in j["kernels"]: print(k["kernel"], k["memory_sol_pct"], k["dram_pct"], k["achieved_occupancy_pct"], k["stalls"][:3], k["diagnosis"])' "$out/profile_add_relu_${relax//+/_}.json" 2>&1 | head -8
  done
  echo "== profile softmax (CUDA baseline) and gemm_square (cuBLAS, library form) with the default relaxation"
  [[ -n ${SKIP_MORE:-} ]] && exit 0
  timeout 200 $cli profile --problem softmax --source "$root/resources/problems/softmax/baseline.cu" \
    --report-out "$out/ncu_softmax.csv" 2>&1 | tail -20
  timeout 200 $cli profile --problem gemm_square --source "$root/resources/problems/gemm_square/baseline.cu" \
    --report-out "$out/ncu_gemm.csv" 2>&1 | tail -20
fi
if [[ $mode == sanitize ]]; then
  # kevo-cli sanitize (compute-sanitizer): a clean naive kernel, a wild write (memcheck), a
  # shared-memory race (racecheck), and a short search's finalists.
  compute-sanitizer --version | tail -1
  echo "== clean: add_relu baseline, all three tools"
  timeout 150 $cli sanitize --problem add_relu --source "$root/resources/problems/add_relu/baseline.cu" 2>&1 | tail -8
  echo "== memcheck on a wild write (expect errors)"
  timeout 70 $cli sanitize --problem add_relu --source "$root/tests/kernels/cuda/crash_illegal_address.cu" --tool memcheck --timeout 30 2>&1 | tail -8
  echo "== the same with seccomp relaxed too"
  timeout 70 $cli sanitize --problem add_relu --source "$root/tests/kernels/cuda/crash_illegal_address.cu" --tool memcheck --timeout 30 --relax landlock,exec_memory,seccomp 2>&1 | tail -8
  echo "== racecheck on a missing __syncthreads (expect a hazard)"
  timeout 100 $cli sanitize --problem add_relu --source "$root/tests/kernels/cuda-sanitize/shared_race.cu" --tool racecheck 2>&1 | tail -6
  [[ -n ${SKIP_MORE:-} ]] && exit 0
  echo "== a session's finalists"
  $cli search --backend cuda --problem softmax --shape-set training --budget 6 --seed 2 \
    -o /tmp/sanitize_softmax.kevo --replace > /dev/null 2>&1
  timeout 200 $cli sanitize /tmp/sanitize_softmax.kevo --finalists 2 --tool memcheck,racecheck 2>&1 | tail -10
fi
if [[ $mode == bench ]]; then
  echo "== cuBLAS as the sandboxed worker sees it"
  ls -la /usr/local/cuda/lib64/libcublas.so* 2>&1 | head -3; ldconfig -p | grep -m3 libcublas.so
  if [[ -z ${SKIP_ADV:-} ]]; then
    echo "== adversarial kernels"
    bash "$root/bench/gpu/adversarial.sh" 2>&1 | tee "$out/adversarial.txt"
  fi
  echo "== cuBLAS baselines"
  $cli survey --backend cuda --problem gemm_square --problem gemm_tall_skinny --problem gemm_bf16 --shape-set training 2>&1 | tail -8
  # Each search: at most SEARCH_S seconds (checked between steps) or BUDGET evaluations.
  for p in ${PROBLEMS:-add_relu gelu bias_gelu row_sum row_max softmax log_softmax layernorm rmsnorm bucketize feature_hash jagged_pad embedding_bag dlrm_interaction gemm_tall_skinny gemm_square layernorm_bf16 rmsnorm_bf16 gemm_bf16}; do
    s=$(date +%s.%N)
    $cli search --backend cuda --problem $p --shape-set training --budget ${BUDGET:-40} \
      --time-limit ${SEARCH_S:-16} --seed 1 -o "/tmp/search_$p.kevo" --replace --json --no-profile \
      > "/tmp/search_$p.json" 2> "/tmp/search_$p.err"
    rc=$?
    python3 "$root/bench/gpu/summarize_search.py" "$p" "/tmp/search_$p.kevo" "$rc" \
      "$(python3 -c "print($(date +%s.%N) - $s)")" | tee -a "$out/search_summary.txt"
  done
  tar czf "$out/sessions.tgz" -C /tmp $(cd /tmp && ls search_*.kevo search_*.json search_*.err) 2>/dev/null
  if [[ -z ${SKIP_TORCH:-} ]]; then
    PYTHONUNBUFFERED=1 timeout ${TORCH_S:-230} python3 "$root/bench/gpu/torch_baselines.py" \
      --budget-s $(( ${TORCH_S:-230} - 15 )) --json "$out/torch.json" 2>&1 | tail -40
  fi
fi

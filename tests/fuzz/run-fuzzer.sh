#!/usr/bin/env bash
# Builds one libFuzzer target with Debian's clang (ASan + UBSan + libFuzzer) and runs it for a
# bounded time. Usage: run-fuzzer.sh <name> <seconds> <source-dir> <out-dir>
# The fuzz builds compile only the parsers they exercise, straight from source, so they cost seconds.
set -euo pipefail
name=$1 seconds=$2 src=$3 out=$4
mkdir -p "$out/$name.corpus"
cxx=${RUNNEL_FUZZ_CXX:-clang++-14}
# pointer-overflow is left out: RapidJSON 1.1's internal stack does `nullptr + 0`-style arithmetic on
# its first push, which UBSan flags in the library, not in our code.
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize=pointer-overflow
       -fno-sanitize-recover=undefined -I"$src/src")
libs=(-lcrypto)
case "$name" in
  expr_fuzz)
    sources=("$src"/tests/fuzz/expr_fuzz.cc "$src"/src/expr/*.cc "$src"/src/common/decimal.cc
             "$src"/src/common/attribute_value.cc "$src"/src/common/base64.cc) ;;
  sigv4_fuzz)
    sources=("$src"/tests/fuzz/sigv4_fuzz.cc "$src"/src/auth/*.cc "$src"/src/common/hash.cc) ;;
  query_fuzz)
    # The models come from the committed JSON (see query_fuzz.cc), not the build dir's generated .cc.
    flags+=(-DRUNNEL_QUERY_MODELS_DIR="\"$src/src/protocol/models\"")
    libs+=(-lpugixml)
    sources=("$src"/tests/fuzz/query_fuzz.cc "$src"/src/protocol/query_codec.cc "$src"/src/protocol/query_model.cc) ;;
  request_json_fuzz)
    sources=("$src"/tests/fuzz/request_json_fuzz.cc "$src"/src/common/decimal.cc
             "$src"/src/common/attribute_value.cc "$src"/src/common/base64.cc) ;;
  policy_fuzz)
    libs+=(-lfmt)
    sources=("$src"/tests/fuzz/policy_fuzz.cc "$src"/src/auth/policy.cc "$src"/src/pattern/filter_policy.cc
             "$src"/src/pattern/filter_values.cc "$src"/src/sns/delivery_policy.cc "$src"/src/common/decimal.cc) ;;
  lambda_fuzz)
    libs+=(-lzip -lfmt)
    sources=("$src"/tests/fuzz/lambda_fuzz.cc "$src"/src/lambda/function.cc "$src"/src/lambda/code_dir.cc
             "$src"/src/common/uuid.cc) ;;
  *) echo "unknown fuzzer $name" >&2; exit 2 ;;
esac
# Unit tests are not part of a fuzz binary.
filtered=()
for s in "${sources[@]}"; do [[ $s == *_test.cc ]] || filtered+=("$s"); done
"$cxx" "${flags[@]}" "${filtered[@]}" -o "$out/$name" "${libs[@]}"
# Deep and wide seeds, made here rather than committed: the inputs that once crashed runnel (130,000
# nested '[' overflowed a thread's stack) and the ones that stall a quadratic walk (100,000 entries).
# A fuzzer's own first byte picks its parser; each seed is written for every choice.
python3 "$src/tests/fuzz/make_seeds.py" "$name" "$out/$name.seeds"
cd "$out"
"./$name" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=1048576 -print_final_stats=1 "$name.corpus" "$name.seeds"

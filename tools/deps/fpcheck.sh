#!/bin/sh
# SPDX-License-Identifier: MIT
# fpcheck.sh FILE... : list functions (per object) that contain AArch64 FP/SIMD/SVE instructions.
# Exit 1 if any are found. With FPCHECK_ALLOW_FPSIMD=1, functions named
# __fpsimd_* (the guest FP context switch) are allowed.
aarch64-linux-gnu-objdump -d --no-show-raw-insn "$@" 2>/dev/null | \
  awk -v allow="${FPCHECK_ALLOW_FPSIMD:-0}" '
  /file format/ { obj=$1; next }
  /^[0-9a-f]+ <.*>:$/ { fn=$2; next }
  fn ~ /^<__fpsimd_/ && allow { next }
  /^ *[0-9a-f]+:\t/ {
    line=$0; sub(/\/\/.*/, "", line); gsub(/<[^>]*>/, "", line)
    n=split(line, f, "\t"); ins=f[2] " " f[3]
    if (f[2] ~ /^(b|bl|b\.[a-z]+|cbn?z|tbn?z|adrp?)$/) next
    if (ins ~ /(^|[ ,\[{])[vqdshbz][0-9][0-9]?([ ,.\]}]|$)/ || ins ~ /(^|[ ,])p[0-9][0-9]?(\/|[ ,.]|$)/ || ins ~ /fpcr|fpsr/) {
      key=obj " " fn; if (!(key in seen)) { seen[key]=1; print key "\t" ins; cnt++ }
    }
  }
  END { exit cnt>0 }'

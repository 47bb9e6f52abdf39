#!/bin/sh
# SPDX-License-Identifier: MIT
# fpcheck.sh FILE... : list functions (per object) that contain AArch64 FP/SIMD/SVE instructions.
# Exit 1 if any are found. With FPCHECK_ALLOW_FPSIMD=1, functions named
# __fpsimd_* (the guest FP context switch) are allowed.
case "${1:-}" in
-h | --help)
	cat <<'USAGE'
usage: tools/deps/fpcheck.sh FILE...
List the functions of each AArch64 object, archive or ELF FILE that hold an
FP/SIMD/SVE instruction (register operands v, q, d, s, h, b, z, p; FPCR,
FPSR), one "object function<TAB>instruction" line each.
Exit status: 0 none found, 1 some found, 2 usage error or unreadable FILE.
  FPCHECK_ALLOW_FPSIMD=1   allow functions named __fpsimd_* (the guest FP
                           context switch)
  -h, --help               this text
USAGE
	exit 0 ;;
-*) echo "fpcheck.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
'') echo "fpcheck.sh: no FILE; see --help" >&2; exit 2 ;;
esac
for f in "$@"; do
	[ -r "$f" ] || { echo "fpcheck.sh: cannot read FILE '$f'" >&2; exit 2; }
done
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

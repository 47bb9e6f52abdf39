#!/bin/sh
# SPDX-License-Identifier: MIT
# newlib-nosimd-fixup.sh <newlib-src> <prefix> "<target CFLAGS>" [all|simd]
# Post-process an aarch64 newlib libc.a so that it contains no FP/SIMD instructions:
#   all  (default): replace EVERY routine assembled from newlib/libc/machine/aarch64/*.S (memcpy, memset,
#                   strlen, ...) by newlib's generic C version (word-at-a-time) compiled with CFLAGS
#                   (-mgeneral-regs-only -mstrict-align): no SIMD, no DC ZVA, no unaligned accesses,
#                   so they are also safe with the MMU off.
#   simd          : replace only the .S routines that use SIMD (newlib 3.3: memchr memset strchr
#                   strchrnul strrchr); the others stay assembly (fast, but do unaligned accesses and
#                   therefore need the MMU on / Normal memory).
# In both modes setjmp/longjmp (saves d8-d15) is removed, so using it is a link error.
set -e
case "${1:-}" in
-h | --help)
	echo 'usage: tools/deps/newlib-nosimd-fixup.sh <newlib-src> <prefix> "<target CFLAGS>" [all|simd]'
	sed -n 's/^# \{0,1\}//; 4,12p' "$0"
	echo "  -h, --help  this text"
	exit 0 ;;
-*) echo "newlib-nosimd-fixup.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
esac
[ $# -ge 3 ] && [ $# -le 4 ] ||
	{ echo "newlib-nosimd-fixup.sh: need <newlib-src> <prefix> \"<CFLAGS>\" [all|simd]; see --help" >&2; exit 2; }
case "${4:-all}" in all | simd) ;; *) echo "newlib-nosimd-fixup.sh: mode '$4' is not all or simd; see --help" >&2; exit 2 ;; esac
[ -d "$1/newlib" ] || { echo "newlib-nosimd-fixup.sh: <newlib-src> '$1' has no newlib folder" >&2; exit 2; }
SRC=$1; P=$2; CFLAGS=$3; MODE=${4:-all}
CC=aarch64-linux-gnu-gcc; AR=aarch64-linux-gnu-ar
D=$(cd "$(dirname "$0")" && pwd); LIB=$P/aarch64-none-elf/lib; INC=$P/aarch64-none-elf/include
if [ "$MODE" = all ]; then
  LIST=$(for f in "$SRC"/newlib/libc/machine/aarch64/*.S; do basename "$f" .S; done)
else
  LIST=$("$D"/fpcheck.sh "$LIB/libc.a" | sed -E 's/^lib_a-([a-z_0-9]+)\.o:.*/\1/' | sort -u)
fi
TMP=$(mktemp -d)
for m in $LIST; do
  if [ "$m" = setjmp ]; then
    $AR d "$LIB/libc.a" lib_a-setjmp.o && echo "removed setjmp/longjmp"; continue
  fi
  c=$SRC/newlib/libc/string/$m.c
  [ -f "$c" ] || { echo "no C fallback for $m" >&2; exit 1; }
  $CC $CFLAGS -fno-builtin -D_COMPILING_NEWLIB -nostdinc -isystem "$INC" \
      -isystem "$($CC -print-file-name=include)" -I"$SRC/newlib/libc/string" -c "$c" -o "$TMP/lib_a-$m.o"
  $AR r "$LIB/libc.a" "$TMP/lib_a-$m.o"
done
echo "replaced with C: $(echo $LIST | sed 's/setjmp//')"
rm -rf "$TMP"
$AR s "$LIB/libc.a"
[ "$LIB/libc.a" -ef "$LIB/libg.a" ] || cp "$LIB/libc.a" "$LIB/libg.a"
"$D"/fpcheck.sh "$LIB/libc.a" && echo "OK: $LIB/libc.a has no FP/SIMD instructions"

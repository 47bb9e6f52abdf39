#!/bin/sh
# SPDX-License-Identifier: MIT
# setup-host.sh: install the Debian packages Kairos needs to build, test and
# run, on Debian 12 (bookworm). Idempotent: installs only what is missing and
# says what it installs. qemu-system-arm comes from bookworm-backports
# (QEMU 10: -M raspi4b and a 1 GHz generic timer on virt).
set -eu

usage() {
	cat <<'USAGE'
usage: tools/setup-host.sh [--lava] [STAMP]
Install what Kairos needs on Debian 12: the Debian packages in PKGS (only
the missing ones), qemu-system-arm from bookworm-backports, and the arm64
architecture for apt-get download of guest packages. make runs it on first
use; running it again installs nothing if nothing is missing.
  STAMP        file written when everything is present (make passes
               build/host-setup.mk, a makefile it includes)
  --lava       also LAVA (lava-server, lava-dispatcher, lavacli and
               PostgreSQL) for the HIL tests (docs/hil.md); no service
               is started (make passes build/host-setup-lava.stamp)
  -h, --help   this text
Needs root or sudo, and the Debian archive.
USAGE
}

LAVA=no
case "${1:-}" in
-h | --help) usage; exit 0 ;;
--lava) LAVA=yes; shift ;;
esac
case "${1:-}" in
-*) echo "setup-host.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "setup-host.sh: one STAMP at most; see --help" >&2; exit 2; }
STAMP=${1:-}
[ -z "$STAMP" ] || [ -d "$(dirname "$STAMP")" ] ||
	{ echo "setup-host.sh: STAMP '$STAMP': no folder $(dirname "$STAMP"); see --help" >&2; exit 2; }
BACKPORTS=/etc/apt/sources.list.d/kairos-bookworm-backports.list
PKGS="gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu u-boot-qemu u-boot-tools
device-tree-compiler libcmocka-dev python3-pytest python3-pexpect xz-utils
clang clang-format clang-tidy cppcheck make gcc dosfstools mtools fdisk cpio
libclang-rt-14-dev graphviz python3-setuptools python3-wheel python3-venv
python3-labgrid"
BPO_PKGS="qemu-system-arm"
# --lava: lava-dispatcher needs libguestfs0, which needs qemu-system-x86:
# from bookworm-backports, as qemu-system-arm (one qemu-system-common).
LAVA_PKGS="lava-server lava-dispatcher lavacli postgresql"
LAVA_BPO_PKGS="qemu-system-x86"

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

say() { echo "setup-host: $*"; }

# The stamp is included by the Makefile: make it a valid makefile.
stamp() {
	[ -z "$STAMP" ] || echo "# tools/setup-host.sh found every package present" >"$STAMP"
}

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
qemu_ok=no
if command -v qemu-system-aarch64 >/dev/null 2>&1; then
	v=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
	[ "${v:-0}" -ge 10 ] && qemu_ok=yes
fi
arm64_ok=no
dpkg --print-foreign-architectures | grep -qx arm64 && arm64_ok=yes
lava_missing=
if [ $LAVA = yes ]; then
	for p in $LAVA_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			lava_missing="$lava_missing $p"
	done
fi

if [ -z "$missing" ] && [ $qemu_ok = yes ] && [ $arm64_ok = yes ] &&
	[ -z "$lava_missing" ]; then
	stamp
	exit 0
fi

if [ -n "$missing" ] || [ $qemu_ok = no ] || [ $arm64_ok = no ]; then
	"$(dirname "$0")/first-use" 1 "installing Debian packages"
fi

if [ ! -f "$BACKPORTS" ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
	say "adding bookworm-backports to $BACKPORTS"
	echo "deb http://deb.debian.org/debian bookworm-backports main" |
		$SUDO tee "$BACKPORTS" >/dev/null
fi
if [ $arm64_ok = no ]; then
	say "adding the arm64 architecture (for apt-get download of guest packages)"
	$SUDO dpkg --add-architecture arm64
fi
# apt's and dpkg's own output goes to a log; a failure shows its end.
log=$(mktemp "${TMPDIR:-/tmp}/kairos-setup.XXXXXX")
run_logged() {
	"$@" >>"$log" 2>&1 || {
		echo "setup-host: failed: $*" >&2
		tail -25 "$log" >&2
		echo "setup-host: the whole log is $log" >&2
		exit 1
	}
}
say "apt-get update (log: $log)"
run_logged $SUDO apt-get update
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
	say "installing:$missing"
	# shellcheck disable=SC2086
	run_logged $SUDO apt-get install -y --no-install-recommends $missing
fi
if [ $qemu_ok = no ]; then
	say "installing $BPO_PKGS from bookworm-backports"
	run_logged $SUDO apt-get install -y --no-install-recommends -t bookworm-backports $BPO_PKGS
fi
if [ -n "$lava_missing" ]; then
	"$(dirname "$0")/first-use" 5 "installing LAVA for the HIL tests"
	say "installing LAVA:$lava_missing (and $LAVA_BPO_PKGS from bookworm-backports)"
	# No service may start (no systemd, maybe a chroot): a policy-rc.d
	# of our own for the install if there is none. lava-server's postinst
	# then finds no PostgreSQL and skips its database; tools/kairos-lava
	# makes one of its own.
	policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\n# tools/setup-host.sh --lava: no service starts\nexit 101\n' |
			$SUDO tee $policy >/dev/null
		$SUDO chmod 755 $policy
		trap '$SUDO rm -f $policy' EXIT
	fi
	# shellcheck disable=SC2086
	run_logged $SUDO apt-get install -y --no-install-recommends $LAVA_PKGS \
		$(for p in $LAVA_BPO_PKGS; do echo "$p/bookworm-backports"; done)
	[ -z "$policy" ] || $SUDO rm -f $policy
fi
say "$(qemu-system-aarch64 --version | head -1)"
say "done: $(grep -c '^Setting up ' "$log") packages set up"
rm -f "$log"
stamp

#!/bin/sh
# xlb quick start for a fresh Debian 12 machine, run as root.
#
#   ./quickstart.sh          install what is missing, build, run the demo
#   ./quickstart.sh check    install what is missing, build, run 'make check'
#   ./quickstart.sh build    install what is missing and build, nothing else
set -eu

cd "$(dirname "$0")"
what=${1:-demo}
case $what in
demo | check | build) ;;
*)
	echo "usage: $0 [check|build]" >&2
	exit 2
	;;
esac

# Debian packages xlb builds and tests with.
PACKAGES="gcc make autoconf automake pkg-config flex bison clang llvm \
libbpf-dev libelf-dev libyaml-dev libpcap-dev linux-libc-dev libc6-dev \
iproute2 ethtool tcpdump util-linux procps jq valgrind libclang-rt-dev less \
bpftool xdp-tools"

missing=
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "quickstart: missing packages:$missing; run as root or install them with apt-get" >&2
		exit 1
	fi
	echo "quickstart: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# bpffs, where xlb-load pins what it attaches (systemd mounts it; a bare
# machine or container may not)
if [ "$(id -u)" -eq 0 ] &&
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
	mount -t bpf -o mode=0700 bpf /sys/fs/bpf
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi
fi
if [ ! -f Makefile ] || [ configure -nt config.status ]; then
	./configure --quiet
fi
make -j"$(nproc)" >/dev/null

case $what in
build)
	echo "quickstart: built xlbc, xlb-load, xlb-stats and xlb-replay"
	;;
check)
	if make -j"$(nproc)" check; then
		exit 0
	fi
	echo "quickstart: make check failed; the logs of failing tests follow" >&2
	cat test-suite.log >&2 || true
	exit 1
	;;
demo)
	exec sh doc/demo.sh
	;;
esac

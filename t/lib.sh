# t/lib.sh - shared helpers for the shell TAP tests (POSIX sh).
# shellcheck shell=sh
#
# A test sets top_srcdir if it is unset and sources this file:
#
#	: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
#	. "$top_srcdir/t/lib.sh"
#
# 'make check' exports top_srcdir, top_builddir, XLBC, XLB_LOAD, XLB_STATS,
# XLB_REPLAY, UDPCOUNT and XLB_TEMPLATE_DIR; by hand they default to an
# in-tree build.  With CI=true a skip is reported as a failure, so that a
# green CI run means every test really ran.
#
# TAP:        tap_plan N, tap_ok DESC CMD..., tap_result STATUS DESC,
#             tap_is GOT WANT DESC, tap_ge GOT MIN DESC, tap_grep FILE STR DESC,
#             tap_diag MSG, tap_diag_file FILE, tap_skip_all REASON,
#             tap_bail REASON, tap_done
# Needs:      require_root, require_cmd CMD..., require_built
# Namespaces: netns_setup N, in_ns NS CMD..., in_cli CMD..., in_srv CMD...
# Processes:  bg_track PID, bg_untrack PID, wait_file FILE [SECONDS [PID]],
#             wait_until SECONDS CMD...
# Traffic:    recv_start NAME ARG..., recv_wait, send_cli NAME ARG...,
#             count_of FILE PORT, sum_counts FILE, udp_stat NS FIELD
# xlb:        xlbc_compile RULES OUT, stats_json IF OUT, jqf FILE FILTER,
#             build_xdp_obj KIND OUT
#
# Everything a test creates (namespaces, background processes, xlb pins, the
# $TESTTMP directory) is removed by an EXIT trap, on failure too.
# "A && B || fail" chains below are meant: fail when any step fails.
# shellcheck disable=SC2015

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${XLBC:=$top_builddir/xlbc}"
: "${XLB_LOAD:=$top_builddir/xlb-load}"
: "${XLB_STATS:=$top_builddir/xlb-stats}"
: "${XLB_REPLAY:=$top_builddir/xlb-replay}"
: "${UDPCOUNT:=$top_builddir/t/udpcount}"
: "${XLB_TEMPLATE_DIR:=$top_srcdir/bpf-templates}"
: "${TCPDUMP:=tcpdump}"
export top_srcdir top_builddir XLBC XLB_LOAD XLB_STATS XLB_REPLAY UDPCOUNT TCPDUMP \
	XLB_TEMPLATE_DIR

# The bpffs directory xlb-load pins under, one subdirectory per interface.
XLB_PIN_ROOT=/sys/fs/bpf/xlb

# --- TAP ------------------------------------------------------------------

tap_n=0
tap_failed=0
tap_planned=

tap_plan() {
	tap_planned=$1
	echo "1..$1"
}

# tap_result STATUS DESC: ok when STATUS is 0.  Returns STATUS.
tap_result() {
	_st=$1
	shift
	tap_n=$((tap_n + 1))
	if [ "$_st" -eq 0 ]; then
		echo "ok $tap_n - $*"
		return 0
	fi
	echo "not ok $tap_n - $*"
	tap_failed=$((tap_failed + 1))
	return 1
}

# tap_ok DESC CMD [ARG...]: ok when the command succeeds.
tap_ok() {
	_desc=$1
	shift
	if "$@"; then
		tap_result 0 "$_desc"
	else
		tap_result 1 "$_desc"
	fi
}

# tap_is GOT WANT DESC: string equality.
tap_is() {
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
		return
	fi
	tap_result 1 "$3"
	tap_diag "     got: '$1'"
	tap_diag "expected: '$2'"
	return 1
}

# tap_ge GOT MIN DESC: GOT is an integer and at least MIN.
tap_ge() {
	case $1 in
	'' | *[!0-9]*) ;;
	*)
		if [ "$1" -ge "$2" ]; then
			tap_result 0 "$3"
			return
		fi
		;;
	esac
	tap_result 1 "$3"
	tap_diag "     got: '$1'"
	tap_diag "expected: at least $2"
	return 1
}

# tap_grep FILE STRING DESC: FILE contains the fixed string STRING.
tap_grep() {
	if grep -qF -e "$2" "$1" 2>/dev/null; then
		tap_result 0 "$3"
		return
	fi
	tap_result 1 "$3"
	tap_diag "expected to find '$2' in:"
	tap_diag_file "$1"
	return 1
}

# tap_diag MSG...: each argument on its own comment line(s).
tap_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

tap_diag_file() {
	if [ -s "$1" ]; then
		sed 's/^/#   /' "$1"
	else
		echo "#   (${1##*/} is empty)"
	fi
}

# Before tap_plan only.  Under CI=true a skip is a failure.
tap_skip_all() {
	if [ "${CI:-}" = true ]; then
		echo "1..1"
		echo "not ok 1 - skipped: $* (CI=true forbids skipping)"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

tap_bail() {
	echo "Bail out! $*"
	exit 1
}

# Last line of a test: exit 1 if a test failed or the count is off.
tap_done() {
	if [ -n "$tap_planned" ] && [ "$tap_n" -ne "$tap_planned" ]; then
		tap_diag "planned $tap_planned tests but ran $tap_n"
		exit 1
	fi
	[ "$tap_failed" -eq 0 ] || exit 1
	exit 0
}

# --- requirements -----------------------------------------------------------

require_cmd() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 || tap_skip_all "$_c is not installed"
	done
}

# Root, network namespaces and BPF, or skip.
require_root() {
	[ "$(id -u)" -eq 0 ] ||
		tap_skip_all "needs root for network namespaces and BPF"
	require_cmd ip nsenter ethtool
	grep -qw bpf /proc/filesystems 2>/dev/null ||
		tap_skip_all "kernel without BPF (no bpf filesystem)"
	# CAP_NET_ADMIN (12), CAP_SYS_ADMIN (21), CAP_BPF (39) or CAP_SYS_ADMIN
	_caps=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
	if [ -n "$_caps" ]; then
		_caps=$((0x$_caps))
		[ $((_caps >> 12 & 1)) -eq 1 ] ||
			tap_skip_all "needs CAP_NET_ADMIN"
		[ $((_caps >> 21 & 1)) -eq 1 ] ||
			tap_skip_all "needs CAP_SYS_ADMIN for network namespaces"
	fi
	_probe=xlbt-probe-$$
	if ! ip netns add "$_probe" 2>/dev/null; then
		tap_skip_all "cannot create network namespaces"
	fi
	ip netns del "$_probe" 2>/dev/null
	# xlb-load pins its links in bpffs, and mounts it only where it knows
	# the mount outlives it; a test machine may come without it
	if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
		mount -t bpf -o mode=0700 bpf /sys/fs/bpf ||
			tap_skip_all "cannot mount bpffs at /sys/fs/bpf"
	fi
}

# The programs under test must exist: a missing one is a build problem,
# never a reason to skip.
require_built() {
	for _p in "$XLBC" "$XLB_LOAD" "$XLB_STATS" "$UDPCOUNT"; do
		[ -x "$_p" ] || tap_bail "$_p not found: build xlb first (make)"
	done
	[ -d "$XLB_TEMPLATE_DIR" ] ||
		tap_bail "XLB_TEMPLATE_DIR=$XLB_TEMPLATE_DIR is not a directory"
}

# --- cleanup ----------------------------------------------------------------

lib_pids=
lib_netns=
lib_ifs=
TESTTMP=

# Kill what we started, detach and unpin xlb, delete the namespaces and the
# temporary directory.  Keeps the exit status.
lib_cleanup() {
	_rc=$?
	set +e
	for _p in $lib_pids; do
		kill "$_p" 2>/dev/null
	done
	for _p in $lib_pids; do
		wait "$_p" 2>/dev/null
	done
	for _ns in $lib_netns; do
		if [ -e "/run/netns/$_ns" ]; then
			for _if in $lib_ifs; do
				if [ -x "$XLB_LOAD" ] &&
					in_ns "$_ns" ip link show dev "$_if" >/dev/null 2>&1; then
					in_ns "$_ns" "$XLB_LOAD" -d --force "$_if" >/dev/null 2>&1
				fi
			done
		fi
		# Pins outlive the namespace, even one the test deleted;
		# xlb-load keeps those of a named namespace under its name.
		# Removing a link's pin detaches its program.
		[ -d "$XLB_PIN_ROOT/netns/$_ns" ] && rm -rf "$XLB_PIN_ROOT/netns/$_ns"
		ip netns del "$_ns" 2>/dev/null
	done
	[ -n "$TESTTMP" ] && rm -rf "$TESTTMP"
	return "$_rc"
}

trap lib_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

bg_track() {
	lib_pids="$lib_pids $1"
}

# The directory for this test's files, removed at exit.
TESTTMP=$(mktemp -d "${TMPDIR:-/tmp}/xlbt.XXXXXX") ||
	tap_bail "cannot create a temporary directory"

# --- network namespaces -----------------------------------------------------

# A short id, unique per run: the pid and 16 random bits.
# pin_dir NS IF: where xlb-load pins for interface IF of namespace NS.
pin_dir() {
	echo "$XLB_PIN_ROOT/netns/$1/$2"
}

lib_unique_id() {
	_r=$(od -An -N2 -tu2 /dev/urandom 2>/dev/null | tr -d ' ')
	printf '%x%04x' "$$" "${_r:-0}"
}

in_ns() {
	_in_ns=$1
	shift
	nsenter --net="/run/netns/$_in_ns" -- "$@"
}

in_cli() {
	in_ns "$NS_CLI" "$@"
}

in_srv() {
	in_ns "$NS_SRV" "$@"
}

# lib_mac NS IF: the MAC address of IF (not from /sys: under nsenter it
# still shows the host's interfaces).
lib_mac() {
	ip -n "$1" link show dev "$2" |
		awk '$1 == "link/ether" { print $2; exit }'
}

# lib_nodad NS IF: no duplicate address detection on IF, before it is up.
# While its link-local address is tentative the kernel sends no neighbour
# solicitation from it, so the first packet routed out of IF would wait a
# second or two for DAD to finish.
lib_nodad() {
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
}

# netns_setup N: two namespaces joined by a veth pair,
#   client $NS_CLI, interface $IF_CLI, address $IP_CLI = 10.200.N.1/24
#   server $NS_SRV, interface $IF_SRV, address $IP_SRV = 10.200.N.2/24
# with static neighbour entries (no ARP race with the first datagram), no
# IPv6 duplicate address detection (see lib_nodad) and TX
# checksum offload off on both ends, so that the receiver verifies every
# checksum.  Everything is removed at exit.  Bails out on failure.
netns_setup() {
	_id=$(lib_unique_id)
	NS_CLI=xlbt-c-$_id
	NS_SRV=xlbt-s-$_id
	IF_CLI=xc$_id
	IF_SRV=xs$_id
	IP_CLI=10.200.$1.1
	IP_SRV=10.200.$1.2
	ip netns add "$NS_CLI" || tap_bail "cannot create namespace $NS_CLI"
	lib_netns="$lib_netns $NS_CLI"
	ip netns add "$NS_SRV" || tap_bail "cannot create namespace $NS_SRV"
	lib_netns="$lib_netns $NS_SRV"
	lib_ifs="$lib_ifs $IF_CLI $IF_SRV"
	ip -n "$NS_CLI" link add "$IF_CLI" type veth \
		peer name "$IF_SRV" netns "$NS_SRV" ||
		tap_bail "cannot create veth pair $IF_CLI/$IF_SRV"
	for _side in "$NS_CLI $IF_CLI $IP_CLI" "$NS_SRV $IF_SRV $IP_SRV"; do
		# shellcheck disable=SC2086
		set -- $_side
		ip -n "$1" link set lo up &&
			lib_nodad "$1" "$2" &&
			ip -n "$1" addr add "$3/24" dev "$2" &&
			ip -n "$1" link set "$2" up &&
			ip netns exec "$1" ethtool -K "$2" tx off >/dev/null ||
			tap_bail "cannot configure $2 in $1"
		ip netns exec "$1" ethtool -k "$2" |
			grep -q '^tx-checksumming: off' ||
			tap_bail "TX checksum offload still on for $2"
	done
	ip -n "$NS_CLI" neigh replace "$IP_SRV" dev "$IF_CLI" nud permanent \
		lladdr "$(lib_mac "$NS_SRV" "$IF_SRV")" &&
		ip -n "$NS_SRV" neigh replace "$IP_CLI" dev "$IF_SRV" \
			nud permanent lladdr "$(lib_mac "$NS_CLI" "$IF_CLI")" ||
		tap_bail "cannot set the neighbour entries"
}

# --- waiting ----------------------------------------------------------------

# wait_file FILE [SECONDS [PID]]: until FILE exists (default 10 s); fails
# early if PID is given and has exited.
wait_file() {
	_ticks=$((${2:-10} * 20))
	while [ ! -e "$1" ]; do
		if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then
			return 1
		fi
		_ticks=$((_ticks - 1))
		[ "$_ticks" -gt 0 ] || return 1
		sleep 0.05
	done
	return 0
}

# --- xlb --------------------------------------------------------------------

# xlbc_compile RULES OUT: compile RULES (relative to top_srcdir, which is how
# the metadata will name it) into OUT; diagnostics go to the TAP log.
xlbc_compile() {
	if (cd "$top_srcdir" && "$XLBC" "$1" -o "$2") >"$2.log" 2>&1; then
		return 0
	fi
	tap_diag "xlbc $1 -o $2 failed:"
	tap_diag_file "$2.log"
	return 1
}

# stats_json IF OUT: xlb-stats -j for IF in the server namespace into OUT.
stats_json() {
	in_srv "$XLB_STATS" -j "$1" >"$2" 2>"$2.err"
}

# Fields of 'udpcount recv' output.
count_of() {
	awk -v p="$2" '$1 == p { print $2; found = 1 } END { if (!found) print "" }' "$1"
}

sum_counts() {
	awk '{ s += $2 } END { print s + 0 }' "$1"
}

# udp_stat NS FIELD: a Udp counter of /proc/net/snmp in namespace NS.
udp_stat() {
	in_ns "$1" cat /proc/net/snmp | awk -v f="$2" '
		$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == "Udp:" && h { print (f in col) ? $col[f] : ""; exit }'
}

# build_xdp_obj KIND OUT: a small non-xlb XDP program, section "xdp".
#   pass      returns XDP_PASS
#   badcsum   rewrites UDP port 9875 to 9876 without fixing the checksum
#   tcdrop    (a TC program, section "tc") drops UDP from port 9875
build_xdp_obj() {
	_src=$TESTTMP/$1.bpf.c
	case $1 in
	pass)
		cat >"$_src" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int foreign_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
EOF
		;;
	badcsum)
		cat >"$_src" <<'EOF'
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* A deliberately broken port rewrite: the UDP checksum is left stale. */
SEC("xdp")
int bad_csum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *uh;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	uh = (void *)(ip + 1);
	if ((void *)(uh + 1) > data_end || uh->dest != bpf_htons(9875))
		return XDP_PASS;
	uh->dest = bpf_htons(9876);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
EOF
		;;
	tcdrop)
		cat >"$_src" <<'EOF'
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Another tool's egress filter (TC, section "tc"): drops UDP from port
 * 9875, passes the rest. */
SEC("tc")
int drop_9875(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *uh = (void *)(ip + 1);

	if ((void *)(uh + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	return uh->source == bpf_htons(9875) ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
EOF
		;;
	*)
		tap_bail "build_xdp_obj: unknown kind $1"
		;;
	esac
	_arch=$(gcc -print-multiarch 2>/dev/null || clang -print-multiarch 2>/dev/null)
	if clang -O2 -g -target bpf ${_arch:+-I/usr/include/$_arch} \
		-c "$_src" -o "$2" >"$2.log" 2>&1; then
		return 0
	fi
	tap_diag "clang failed to build the $1 XDP program:"
	tap_diag_file "$2.log"
	return 1
}

bg_untrack() {
	lib_pids=$(echo " $lib_pids " | sed "s/ $1 / /")
}

# recv_start NAME ARG...: 'udpcount recv ARG...' in the server namespace, in
# the background, output in $TESTTMP/NAME.out and NAME.err; returns once its
# sockets are bound.  Sets recv_pid.
recv_start() {
	_name=$1
	shift
	rm -f "$TESTTMP/$_name.ready"
	# exec: $! must be udpcount itself (nsenter execs it), so that a
	# signal reaches it and 'wait' waits for it.
	(exec nsenter --net="/run/netns/$NS_SRV" -- \
		"$UDPCOUNT" recv -r "$TESTTMP/$_name.ready" "$@") \
		>"$TESTTMP/$_name.out" 2>"$TESTTMP/$_name.err" &
	recv_pid=$!
	bg_track "$recv_pid"
	if ! wait_file "$TESTTMP/$_name.ready" 10 "$recv_pid"; then
		tap_diag "udpcount recv $* did not start:"
		tap_diag_file "$TESTTMP/$_name.err"
		return 1
	fi
}

# recv_wait: wait for the receiver of the last recv_start to finish.
recv_wait() {
	wait "$recv_pid"
	_st=$?
	bg_untrack "$recv_pid"
	return "$_st"
}

# send_cli NAME ARG...: 'udpcount send ARG...' in the client namespace;
# output in $TESTTMP/NAME.send, shown in the log on failure.
send_cli() {
	_name=$1
	shift
	if in_cli "$UDPCOUNT" send "$@" >"$TESTTMP/$_name.send" 2>&1; then
		return 0
	fi
	tap_diag "udpcount send $* failed:"
	tap_diag_file "$TESTTMP/$_name.send"
	return 1
}

# wait_until SECONDS CMD...: until CMD succeeds, checking every 50 ms.
wait_until() {
	_ticks=$(($1 * 20))
	shift
	until "$@"; do
		_ticks=$((_ticks - 1))
		[ "$_ticks" -gt 0 ] || return 1
		sleep 0.05
	done
}

# jqf FILE FILTER: one raw jq result, empty when FILE is not valid JSON.
jqf() {
	jq -r "$2" "$1" 2>/dev/null
}

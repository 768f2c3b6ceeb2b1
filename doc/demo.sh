#!/bin/sh
# doc/demo.sh - the README's quick-start demo, run by ./quickstart.sh.
#
# Scenario 1 for real, in two private network namespaces joined by a veth
# pair: rules/udp-lb.conf is compiled, attached to the server's interface
# with xlb-load, a UDP server listens on each backend port, and the client
# sends 300 datagrams to port 9875.  Shows what each backend received and
# what xlb-stats says, then removes everything it made.  Needs root and an
# in-tree build (./xlbc, ./xlb-load, ./xlb-stats, ./t/udpcount).
# "A && B || fail" chains below are meant: fail when any step fails.
# shellcheck disable=SC2015

set -u

cd "$(dirname "$0")/.." || exit 1
: "${XLB_TEMPLATE_DIR:=$PWD/bpf-templates}"
: "${XLBC:=./xlbc}"
: "${XLB_LOAD:=./xlb-load}"
: "${XLB_STATS:=./xlb-stats}"
: "${UDPCOUNT:=./t/udpcount}"
export XLB_TEMPLATE_DIR

RULES=rules/udp-lb.conf
VIP_PORT=9875
BACKENDS="9876 9877 9878"
COUNT=300

die() {
	echo "demo: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces and XDP); try: sudo $0"
for p in "$XLBC" "$XLB_LOAD" "$XLB_STATS" "$UDPCOUNT"; do
	[ -x "$p" ] || die "$p not found: build first (./quickstart.sh build)"
done
for c in ip nsenter ethtool; do
	command -v "$c" >/dev/null 2>&1 || die "$c is not installed"
done

id=$(printf '%x' "$$")
NS_CLI=xlb-demo-cli-$id
NS_SRV=xlb-demo-srv-$id
IF_CLI=xlbdc$id
IF_SRV=xlbds$id
IP_CLI=10.200.0.1
IP_SRV=10.200.0.2
tmp=
recv_pid=

cleanup() {
	[ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null && wait "$recv_pid"
	if [ -e "/run/netns/$NS_SRV" ]; then
		nsenter --net="/run/netns/$NS_SRV" -- "$XLB_LOAD" -d "$IF_SRV" \
			>/dev/null 2>&1
		ip netns del "$NS_SRV"
	fi
	[ -e "/run/netns/$NS_CLI" ] && ip netns del "$NS_CLI"
	[ -d "/sys/fs/bpf/xlb/netns/$NS_SRV" ] && rm -rf "/sys/fs/bpf/xlb/netns/$NS_SRV"
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

srv() {
	nsenter --net="/run/netns/$NS_SRV" -- "$@"
}

cli() {
	nsenter --net="/run/netns/$NS_CLI" -- "$@"
}

mac() {
	ip -n "$1" link show dev "$2" | awk '$1 == "link/ether" { print $2 }'
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xlb-demo.XXXXXX") || exit 1

echo "xlb demo: UDP load balancing in XDP, in two private network namespaces"
echo
echo "$RULES:"
grep -v '^[[:space:]]*\(#\|$\)' "$RULES" | sed 's/^/    /'
echo

# Namespaces and veth pair.  TX checksum offload off: the server's stack
# then verifies every UDP checksum, so a bad rewrite would show as a loss.
# Static neighbour entries: no ARP race with the first datagrams.
{
	ip netns add "$NS_CLI" &&
		ip netns add "$NS_SRV" &&
		ip -n "$NS_CLI" link add "$IF_CLI" type veth \
			peer name "$IF_SRV" netns "$NS_SRV" &&
		ip -n "$NS_CLI" addr add "$IP_CLI/24" dev "$IF_CLI" &&
		ip -n "$NS_SRV" addr add "$IP_SRV/24" dev "$IF_SRV" &&
		ip -n "$NS_CLI" link set "$IF_CLI" up &&
		ip -n "$NS_SRV" link set "$IF_SRV" up &&
		ip netns exec "$NS_CLI" ethtool -K "$IF_CLI" tx off >/dev/null &&
		ip -n "$NS_CLI" neigh replace "$IP_SRV" dev "$IF_CLI" nud permanent \
			lladdr "$(mac "$NS_SRV" "$IF_SRV")" &&
		ip -n "$NS_SRV" neigh replace "$IP_CLI" dev "$IF_SRV" nud permanent \
			lladdr "$(mac "$NS_CLI" "$IF_CLI")"
} || die "could not set up the namespaces"
echo "- namespaces $NS_CLI ($IP_CLI) and $NS_SRV ($IP_SRV), veth $IF_CLI <-> $IF_SRV"

"$XLBC" "$RULES" -o "$tmp/udp-lb.o" || die "xlbc failed"
echo "- compiled: xlbc $RULES -o udp-lb.o"

if ! srv "$XLB_LOAD" "$tmp/udp-lb.o" "$IF_SRV" 2>"$tmp/load.log"; then
	cat "$tmp/load.log" >&2
	die "xlb-load failed"
fi
echo "- attached: xlb-load udp-lb.o $IF_SRV (in $NS_SRV)"

# shellcheck disable=SC2086
(exec nsenter --net="/run/netns/$NS_SRV" -- "$UDPCOUNT" recv \
	-n $COUNT -t 3 -T 30 -r "$tmp/ready" $VIP_PORT $BACKENDS) \
	>"$tmp/counts" 2>"$tmp/recv.err" &
recv_pid=$!
n=200
while [ ! -e "$tmp/ready" ]; do
	kill -0 "$recv_pid" 2>/dev/null && [ $n -gt 0 ] || {
		cat "$tmp/recv.err" >&2
		die "the UDP servers did not start"
	}
	n=$((n - 1))
	sleep 0.05
done
echo "- UDP servers listening on ports $(echo "$BACKENDS" | sed 's/ /, /g') (and $VIP_PORT, to catch strays)"

cli "$UDPCOUNT" send -n $COUNT -i 100 "$IP_SRV" $VIP_PORT >/dev/null ||
	die "the client could not send"
echo "- the client sent $COUNT datagrams to $IP_SRV:$VIP_PORT"
wait "$recv_pid"
recv_pid=

echo
total=0
for port in $BACKENDS; do
	got=$(awk -v p="$port" '$1 == p { print $2 }' "$tmp/counts")
	total=$((total + ${got:-0}))
	printf 'backend %s received %3d datagrams\n' "$port" "${got:-0}"
done
stray=$(awk -v p="$VIP_PORT" '$1 == p { print $2 }' "$tmp/counts")
echo "$total of $COUNT arrived at the backends, ${stray:-0} on port $VIP_PORT itself"
echo
echo "# xlb-stats $IF_SRV"
srv "$XLB_STATS" "$IF_SRV"
echo
echo "cleaning up: detaching, deleting the namespaces"
[ "$total" -eq $COUNT ]

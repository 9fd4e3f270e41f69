#!/bin/sh
# Rebuilds the doctor fixtures: each broken state is made by hand in a throwaway namespace (as the talk's
# admin would), captured with `routed-hook doctor --save-snapshot`, and the namespace is deleted again.
# Root only. Usage: capture.sh path/to/routed-hook   (run from this directory)
# healthy-seed-lpar11.json comes from `routed-lab up lab/seed.yaml` instead (see docs/doctor.md).
set -eu
HOOK=$(realpath "$1")
HERE=$(pwd)
WORK=$(mktemp -d)
NAMESPACES=""
cleanup() {
  for pidfile in "$WORK"/ovs/*.pid; do [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true; done
  for ns in $NAMESPACES; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fresh() { ip netns add "$1"; NAMESPACES="$NAMESPACES $1"; ip -n "$1" link set lo up; }
in_ns() { ns=$1; shift; ip netns exec "$ns" "$@"; }
veth() { ip -n "$1" link add "$2" type veth peer name "$2-peer"; ip -n "$1" link set "$2" up; ip -n "$1" link set "$2-peer" up; }
capture() { ns=$1; file=$2; shift 2; in_ns "$ns" "$HOOK" doctor --state-dir "$WORK/state-$ns" --save-snapshot "$HERE/$file" "$@" >/dev/null || true; }

# Pitfall 1: two interfaces in one subnet, proxy_arp on one of them.
fresh dr-shared
veth dr-shared eth0; veth dr-shared eth1
ip -n dr-shared addr add 10.1.0.1/24 dev eth0; ip -n dr-shared addr add 10.1.0.2/24 dev eth1
in_ns dr-shared sysctl -qw net.ipv4.conf.eth0.proxy_arp=1
capture dr-shared shared-subnet.json

# Pitfall 1 through conf/all/proxy_arp.
fresh dr-shared-all
veth dr-shared-all eth0; veth dr-shared-all eth1
ip -n dr-shared-all addr add 10.1.0.1/16 dev eth0; ip -n dr-shared-all addr add 10.1.7.1/24 dev eth1
in_ns dr-shared-all sysctl -qw net.ipv4.conf.all.proxy_arp=1
capture dr-shared-all shared-subnet-all.json

# Pitfall 2: proxy_arp on p0 (no filter), p1 (nft arp rule), p2 (legacy arptables rule), l3 (NOARP).
fresh dr-arp
for i in p0 p1 p2 l3; do veth dr-arp $i; in_ns dr-arp sysctl -qw net.ipv4.conf.$i.proxy_arp=1; done
ip -n dr-arp link set l3 arp off
ip -n dr-arp addr add 192.168.10.1/24 dev p0; ip -n dr-arp addr add 192.168.11.1/24 dev p1
ip -n dr-arp addr add 192.168.12.1/24 dev p2; ip -n dr-arp addr add 192.168.13.1/24 dev l3
in_ns dr-arp nft -f - <<'NFT'
table arp admin {
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "p1" arp operation request drop
  }
}
NFT
in_ns dr-arp arptables-legacy -A INPUT -i p2 -d 192.168.12.0/24 -j ACCEPT
capture dr-arp arp-filters.json

# Pitfall 3, Linux bridge: br0 (MTU 9000) with a 1500 port; osa10 routed at 1500.
fresh dr-mtu
ip -n dr-mtu link add br0 type bridge
veth dr-mtu tap0; veth dr-mtu tap1; veth dr-mtu osa10
ip -n dr-mtu link set tap0 mtu 9000; ip -n dr-mtu link set tap1 mtu 9000
ip -n dr-mtu link set tap0 master br0; ip -n dr-mtu link set tap1 master br0
ip -n dr-mtu link set br0 mtu 9000 up
ip -n dr-mtu link set tap1 mtu 1500
ip -n dr-mtu addr add 10.136.11.254/24 dev br0; ip -n dr-mtu addr add 10.131.11.254/8 dev osa10
capture dr-mtu mtu-linux-bridge.json --config "$HERE/mtu.yaml"

# Pitfall 3, OVS (private instance, userspace datapath): br0 at 9000, card0 attached at 1500.
fresh dr-ovs
mkdir -p "$WORK/ovs"
ovsdb-tool create "$WORK/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
in_ns dr-ovs ovsdb-server "$WORK/ovs/conf.db" --remote="punix:$WORK/ovs/db.sock" --pidfile="$WORK/ovs/ovsdb.pid" \
  --unixctl="$WORK/ovs/ovsdb.ctl" --log-file="$WORK/ovs/ovsdb.log" --detach
DB="unix:$WORK/ovs/db.sock"
ovs-vsctl --db="$DB" --no-wait init
in_ns dr-ovs ovs-vswitchd "$DB" --pidfile="$WORK/ovs/vswitchd.pid" --unixctl="$WORK/ovs/vswitchd.ctl" \
  --log-file="$WORK/ovs/vswitchd.log" --detach
veth dr-ovs card0; veth dr-ovs vnet0
ip -n dr-ovs link set card0 mtu 1500; ip -n dr-ovs link set vnet0 mtu 9000
ovs-vsctl --db="$DB" --timeout=10 add-br br0 -- set bridge br0 datapath_type=netdev \
  -- set interface br0 mtu_request=9000 -- add-port br0 vnet0 -- set interface vnet0 mtu_request=9000 \
  -- add-port br0 card0
sleep 1
ip -n dr-ovs link set br0 up; ip -n dr-ovs addr add 10.136.11.254/24 dev br0
capture dr-ovs mtu-ovs.json --ovs-db "$DB" --config "$HERE/mtu.yaml"
kill "$(cat "$WORK/ovs/vswitchd.pid")" "$(cat "$WORK/ovs/ovsdb.pid")"; rm -f "$WORK"/ovs/*.pid

# Pitfall 4–6: a routed-hook host (two guests applied), then broken by hand.
fresh dr-routed
ip -n dr-routed link add br-ex type bridge; ip -n dr-routed link set br-ex up
for i in osa10 hsi0 osa172 extra0; do veth dr-routed $i; done
ip -n dr-routed addr add 10.131.11.254/8 dev osa10; ip -n dr-routed addr add 172.31.56.1/24 dev hsi0
ip -n dr-routed addr add 172.18.0.11/15 dev osa172; ip -n dr-routed addr add 192.168.5.1/24 dev extra0
for domain in web01 web02; do
  in_ns dr-routed "$HOOK" apply --config "$HERE/routed.yaml" --state-dir "$WORK/state-dr-routed" --domain-xml "$HERE/$domain.xml" >/dev/null
done
# Two paths to web01; ARP answered for web02 on production, which it may not use.
ip -n dr-routed route add 10.136.11.5/32 dev osa10 metric 100
in_ns dr-routed nft add element arp routed_hook answer_production '{ 10.136.11.6 comment "web02" }'
# Drift: a recorded element gone, an owned route nobody recorded.
in_ns dr-routed nft delete element inet routed_hook guests_guests '{ 10.136.11.5 }'
ip -n dr-routed route add 10.136.11.99/32 dev br-ex proto 151
# Scope: forwarding and proxy_arp on an interface we do not manage; someone's forward policy drop.
in_ns dr-routed sysctl -qw net.ipv4.conf.extra0.forwarding=1 net.ipv4.conf.extra0.proxy_arp=1
in_ns dr-routed nft -f - <<'NFT'
table ip admin {
  chain forward {
    type filter hook forward priority 10; policy drop;
    ct state established accept
  }
}
NFT
capture dr-routed routed-broken.json --config "$HERE/routed.yaml"

# Pitfall 5: forwarding with no filter at all; then legacy iptables FORWARD DROP filters it.
fresh dr-fwd
veth dr-fwd eth0; ip -n dr-fwd addr add 10.2.0.1/24 dev eth0
in_ns dr-fwd sysctl -qw net.ipv4.ip_forward=1
capture dr-fwd forward-unfiltered.json
in_ns dr-fwd iptables-legacy -P FORWARD DROP
capture dr-fwd forward-legacy-drop.json
# Bridge netfilter: off for the namespace, on for br-on through its own option; a foreign forward policy drop.
fresh dr-brnf
in_ns dr-brnf sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0
ip -n dr-brnf link add br-on type bridge nf_call_iptables 1; ip -n dr-brnf link add br-off type bridge
veth dr-brnf vnet0; veth dr-brnf vnet1
ip -n dr-brnf link set vnet0 master br-on; ip -n dr-brnf link set vnet1 master br-off
ip -n dr-brnf link set br-on up; ip -n dr-brnf link set br-off up
in_ns dr-brnf nft -f - <<'NFT'
table inet admin {
  chain forward {
    type filter hook forward priority 10; policy drop;
  }
}
NFT
capture dr-brnf bridge-netfilter.json
echo "fixtures written"

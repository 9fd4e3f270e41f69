#!/bin/sh
# Re-records the golden netlink bytes: each fixture is the buffer nft or ip passed to its last sendmsg(2),
# captured with `strace -f -e trace=sendmsg -e write=all -s 100000 -xx`, in a throwaway namespace where
# lo is ifindex 1, br-ex 2 and osa10 3. Needs root, nftables, iproute2 and strace.
set -eu
cd "$(dirname "$0")"
ns="rhk-golden-$$"
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip -n "$ns" link add br-ex type bridge
ip -n "$ns" link add osa10 type veth peer name osa10p
ip -n "$ns" link set br-ex up
ip -n "$ns" link set osa10 up

record() { # record NAME COMMAND...: writes NAME.hex, a comment with the command, then hex lines
  name=$1
  shift
  out=$(ip netns exec "$ns" strace -f -e trace=sendmsg -e write=all -s 100000 -xx "$@" 2>&1 >/dev/null) || true
  {
    echo "# $*"
    printf '%s\n' "$out" | awk '/^sendmsg/ { buf = "" } /^ \| [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / { line = substr($0, 11, 49); buf = buf line "\n" } END { printf "%s", buf }' |
      tr -s ' ' | sed 's/^ //; s/ $//'
  } >"$name.hex"
}

record table nft create table inet routed_hook
ip netns exec "$ns" nft add table arp routed_hook
ip netns exec "$ns" nft add table ip routed_hook_nat
record chain nft create chain inet routed_hook forward '{ type filter hook forward priority 0; policy accept; }'
record set-concat nft create set inet routed_hook egress '{ type ipv4_addr . ifname; }'
record set-address nft create set inet routed_hook guests_production '{ type ipv4_addr; }'
ip netns exec "$ns" nft add set inet routed_hook ingress '{ type ipv4_addr . ifname; }'
ip netns exec "$ns" nft add set ip routed_hook_nat masq '{ type ipv4_addr . ifname; }'
ip netns exec "$ns" nft add set arp routed_hook answer_osa10 '{ type ipv4_addr; }'
ip netns exec "$ns" nft add chain inet routed_hook prerouting '{ type filter hook prerouting priority -150; policy accept; }'
ip netns exec "$ns" nft add chain ip routed_hook_nat postrouting '{ type nat hook postrouting priority 100; policy accept; }'
ip netns exec "$ns" nft add chain arp routed_hook input '{ type filter hook input priority 0; policy accept; }'
record rule-drop-spoofed nft add rule inet routed_hook prerouting iifname '"br-ex"' ip saddr != @guests_production drop comment '"rh:spoof:br-ex:guests_production"'
record rule-bridged nft add rule inet routed_hook forward iifname '"br-ex"' oifname '"br-ex"' accept comment '"rh:bridged:br-ex"'
record rule-egress nft add rule inet routed_hook forward iifname '"br-ex"' ip saddr . oifname @egress accept comment '"rh:egress:br-ex:egress"'
record rule-ingress nft add rule inet routed_hook forward oifname '"br-ex"' ip daddr . iifname @ingress accept comment '"rh:ingress:br-ex:ingress"'
record rule-replies nft add rule inet routed_hook forward oifname '"br-ex"' ct state established,related accept comment '"rh:replies:br-ex"'
record rule-drop-from nft add rule inet routed_hook forward iifname '"br-ex"' drop comment '"rh:from:br-ex"'
record rule-drop-to nft add rule inet routed_hook forward oifname '"br-ex"' drop comment '"rh:to:br-ex"'
record rule-masquerade nft add rule ip routed_hook_nat postrouting ip saddr . oifname @masq masquerade comment '"rh:masquerade:masq"'
record rule-arp nft add rule arp routed_hook input iifname '"osa10"' arp operation request arp daddr ip != @answer_osa10 drop comment '"rh:arp:osa10:answer_osa10"'
record element-add nft create element inet routed_hook egress '{ 10.136.11.5 . "osa10" comment "web01" }'
record element-delete nft delete element inet routed_hook egress '{ 10.136.11.5 . "osa10" }'
record route-link ip route add 10.136.11.5/32 dev br-ex proto 151
record route-via ip route add 10.136.12.0/24 via 10.136.11.7 dev br-ex proto 151
record route-delete ip route del 10.136.11.5/32 dev br-ex proto 151
record set-address6 nft create set inet routed_hook guests6_production '{ type ipv6_addr; }'
record set-concat6 nft create set inet routed_hook egress6 '{ type ipv6_addr . ifname; }'
ip netns exec "$ns" nft add set inet routed_hook ingress6 '{ type ipv6_addr . ifname; }'
record table-nat6 nft create table ip6 routed_hook_nat
ip netns exec "$ns" nft add set ip6 routed_hook_nat masq6 '{ type ipv6_addr . ifname; }'
ip netns exec "$ns" nft add chain ip6 routed_hook_nat postrouting '{ type nat hook postrouting priority 100; policy accept; }'
record rule-drop-spoofed6 nft add rule inet routed_hook prerouting iifname '"br-ex"' ip6 saddr != :: ip6 saddr != fe80::/10 ip6 saddr != @guests6_production drop comment '"rh:spoof6:br-ex:guests6_production"'
record rule-egress6 nft add rule inet routed_hook forward iifname '"br-ex"' ip6 saddr . oifname @egress6 accept comment '"rh:egress6:br-ex:egress6"'
record rule-ingress6 nft add rule inet routed_hook forward oifname '"br-ex"' ip6 daddr . iifname @ingress6 accept comment '"rh:ingress6:br-ex:ingress6"'
record rule-masquerade6 nft add rule ip6 routed_hook_nat postrouting ip6 saddr . oifname @masq6 masquerade comment '"rh:masquerade6:masq6"'
record element-add6 nft create element inet routed_hook egress6 '{ fd00:10::136:11:5 . "osa10" comment "web01" }'
record element-delete6 nft delete element inet routed_hook egress6 '{ fd00:10::136:11:5 . "osa10" }'
record route6-link ip -6 route add fd00:10::136:11:5/128 dev br-ex proto 151
record route6-via ip -6 route add fd00:10::136:12:0/112 via fd00:31:56::2 dev osa10 proto 151
record route6-delete ip -6 route del fd00:10::136:11:5/128 dev br-ex proto 151 metric 1024
record neighbour-add ip -6 neigh add proxy fd00:10::136:11:5 dev osa10 protocol 151
record neighbour-delete ip -6 neigh del proxy fd00:10::136:11:5 dev osa10

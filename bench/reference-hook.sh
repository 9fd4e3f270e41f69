#!/bin/sh
# The talk's way, as a libvirt qemu hook: per guest, ip route + arptables + iptables FORWARD/NAT rules.
# Benchmark reference only; it makes the same changes routed-hook makes, with the tools the talk uses.
# usage: reference-hook.sh <domain> <op> <subop> <extra>, with "ADDR" in $REF_GUEST_ADDRESS.
set -e
addr=${REF_GUEST_ADDRESS:?}
case "$2" in
  prepare|start) cat >/dev/null ;;
  started)
    cat >/dev/null
    ip route add "$addr/32" dev br-ex proto static
    arptables-legacy -A INPUT -i osa10 -d "$addr" -j ACCEPT
    iptables-legacy -I FORWARD -i br-ex -s "$addr" -o osa10 -j ACCEPT
    iptables-legacy -I FORWARD -o br-ex -d "$addr" -i osa10 -j ACCEPT
    iptables-legacy -I FORWARD -i br-ex -s "$addr" -o hsi0 -j ACCEPT
    iptables-legacy -I FORWARD -o br-ex -d "$addr" -i hsi0 -j ACCEPT
    iptables-legacy -I FORWARD -i br-ex -s "$addr" -o osa172 -j ACCEPT
    iptables-legacy -t nat -A POSTROUTING -s "$addr" -o osa172 -j MASQUERADE
    ;;
  stopped)
    cat >/dev/null
    ip route del "$addr/32" dev br-ex proto static
    arptables-legacy -D INPUT -i osa10 -d "$addr" -j ACCEPT
    iptables-legacy -D FORWARD -i br-ex -s "$addr" -o osa10 -j ACCEPT
    iptables-legacy -D FORWARD -o br-ex -d "$addr" -i osa10 -j ACCEPT
    iptables-legacy -D FORWARD -i br-ex -s "$addr" -o hsi0 -j ACCEPT
    iptables-legacy -D FORWARD -o br-ex -d "$addr" -i hsi0 -j ACCEPT
    iptables-legacy -D FORWARD -i br-ex -s "$addr" -o osa172 -j ACCEPT
    iptables-legacy -t nat -D POSTROUTING -s "$addr" -o osa172 -j MASQUERADE
    ;;
  release) cat >/dev/null ;;
esac

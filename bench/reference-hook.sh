#!/bin/sh
# The talk's way as a libvirt qemu hook, for the benchmark only: on every start it makes the host setup the
# talk types by hand (as routed-hook ensures its baseline on every start), then per guest an ip route, an
# arptables accept and iptables FORWARD/NAT rules. It uses the tools as Debian 12 installs them (iptables and
# arptables are the nf_tables variants). Values match bench/lifecycle.py's host.
# usage: reference-hook.sh <domain> <op> <subop> <extra>, the guest's address in $REF_GUEST_ADDRESS.
set -e
addr=${REF_GUEST_ADDRESS:?}
cat >/dev/null
# The guest's route and rules: `guest add -A -I` makes them (appended, inserted), `guest del -D -D` removes them.
guest() {
  ip route "$1" "$addr/32" dev br-ex proto static
  arptables "$2" INPUT -i osa10 -d "$addr" -j ACCEPT
  for uplink in osa10 hsi0; do
    iptables "$3" FORWARD -i br-ex -s "$addr" -o "$uplink" -j ACCEPT
    iptables "$3" FORWARD -o br-ex -d "$addr" -i "$uplink" -j ACCEPT
  done
  iptables "$3" FORWARD -i br-ex -s "$addr" -o osa172 -j ACCEPT
  iptables -t nat "$2" POSTROUTING -s "$addr" -o osa172 -j MASQUERADE
}
case "$2" in
  started)
    ip link set br-ex mtu 57344 up
    ip address replace 10.136.255.254/16 dev br-ex
    sysctl -qw net.ipv4.conf.br-ex.forwarding=1 net.ipv4.conf.br-ex.proxy_arp=1 \
      net.ipv4.conf.osa10.forwarding=1 net.ipv4.conf.osa10.proxy_arp=1 \
      net.ipv4.conf.hsi0.forwarding=1 net.ipv4.conf.osa172.forwarding=1
    ip route replace 10.137.12.0/24 via 172.31.56.2 dev hsi0
    guest add -A -I
    ;;
  stopped)
    guest del -D -D
    ;;
esac

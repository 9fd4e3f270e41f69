#!/bin/bash
# How long a guest loses its IPv6 router when it moves to another host that carries the same link-local
# gateway fe80::1 behind another MAC (docs/ipv6.md, the router choice). Throwaway namespaces: guest G on a
# bridge with host ports A and B, both with fe80::1; G pings fe80::1 at 10 pps; A leaves the link and B joins.
# usage: sudo bench/gateway-move.sh [SECONDS] [na]   (na: B sends one unsolicited NA with the override flag)
set -e
p=rhk-gw-$$; G=$p-g; S=$p-s; A=$p-a; B=$p-b
trap 'for n in $G $S $A $B; do ip netns del $n 2>/dev/null; done' EXIT
for n in $G $S $A $B; do ip netns add $n; done
ip -n $S link add sw0 type bridge; ip -n $S link set sw0 up
for n in G A B; do eval ns=\$$n; ip -n $S link add p$n type veth peer name eth0 netns $ns; ip -n $S link set p$n master sw0 up; ip -n $ns link set eth0 up; done
ip -n $A addr add fe80::1/64 dev eth0 nodad; ip -n $B addr add fe80::1/64 dev eth0 nodad
ip -n $S link set pB down
sleep 2
ip netns exec $G ping -6 -n -i 0.1 -c 4 fe80::1%eth0 >/dev/null
( ip netns exec $G ping -6 -D -n -i 0.1 -w ${1:-70} fe80::1%eth0 > /tmp/$p.ping 2>&1 ) &
sleep 1
t0=$(date +%s.%N)
ip -n $S link set pA down; ip -n $S link set pB up
if [ "${2:-}" = na ]; then
  # What a handover can do: B announces fe80::1 with the override flag (one unsolicited NA).
  ip netns exec $B python3 - <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.SOL_SOCKET, 25, b"eth0\0")
mac = bytes.fromhex(open("/sys/class/net/eth0/address").read().strip().replace(":", ""))
target = socket.inet_pton(socket.AF_INET6, "fe80::1")
# type 136, code 0, checksum 0 (kernel fills), flags R|O (router, override), target, option 2 (target lladdr)
na = struct.pack("!BBHI", 136, 0, 0, 0xa0000000) + target + bytes([2, 1]) + mac
s.bind(("fe80::1", 0, 0, socket.if_nametoindex("eth0")))
s.sendto(na, ("ff02::1", 0, 0, socket.if_nametoindex("eth0")))
PY
fi
wait
python3 - "$t0" /tmp/$p.ping <<'PY'
import sys, re
t0 = float(sys.argv[1]); first = None
for line in open(sys.argv[2]):
    m = re.match(r"\[(\d+\.\d+)\].*icmp_seq=(\d+)", line)
    if m and float(m.group(1)) > t0 + 0.05:
        first = float(m.group(1)); break
print("no reply" if first is None else f"first reply {first - t0:.2f} s after the move")
PY
rm -f /tmp/$p.ping

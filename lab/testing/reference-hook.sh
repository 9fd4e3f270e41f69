#!/bin/bash
# A test double for routed-hook: the talk's manual commands (ip, sysctl, nft) behind the hook's argv contract.
# It exists so the lab's expectation matrix can be proven right before the real hook works:
#   routed-lab up lab/seed.yaml --hook lab/testing/reference-hook.sh && routed-lab test --hook lab/testing/reference-hook.sh
# It is not the product: no atomicity, no locking, seed-shaped config parsing only.
set -eu
cfg=${ROUTED_HOOK_CONFIG:?}
state=${ROUTED_HOOK_STATE_DIR:?}
mkdir -p "$state"

# The few config values the double needs, read from the YAML Yams wrote (block style).
value() { awk -v k="$1:" '$1 == k || $2 == k { print $NF; exit }' "$cfg"; }
iface_for_mode() {
  awk -v m="$1" '/interface:/ { i = $NF } /mode:/ && $NF == m { print i; exit }' "$cfg"
}
gateway=$(value gateway)
bridge=$(value bridge)
mtu=$(value mtu)
osa=$(iface_for_mode proxy-arp)
hsi=$(iface_for_mode routed)
nat=$(iface_for_mode nat)

host_setup() {
  ip addr replace "$gateway" dev "$bridge"
  ip link set "$bridge" mtu "$mtu" up
  local subnet own
  subnet=$(ip -o route show dev "$bridge" proto kernel | awk '{print $1; exit}')
  own=$(ip -o -4 addr show dev "$osa" | awk '{split($4, a, "/"); print a[1]; exit}')
  sysctl -qw net.ipv4.ip_forward=1 "net.ipv4.conf.$bridge.proxy_arp=1" "net.ipv4.conf.$osa.proxy_arp=1" \
    "net.ipv4.neigh.$osa.proxy_delay=0"
  nft list table inet rhk_ref >/dev/null 2>&1 && return 0
  nft -f - <<NFT
table arp rhk_ref {
  set guests { type ipv4_addr; }
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "$osa" arp operation request arp daddr ip != @guests arp daddr ip != $own drop
  }
}
table inet rhk_ref {
  chain forward {
    type filter hook forward priority 0; policy drop;
    iifname "$bridge" oifname "$bridge" accept
    iifname "$bridge" oifname { "$osa", "$hsi", "$nat" } accept
    iifname { "$osa", "$hsi" } oifname "$bridge" accept
    iifname "$nat" oifname "$bridge" ct state related,established accept
  }
  chain postrouting {
    type nat hook postrouting priority 100;
    oifname "$nat" ip saddr $subnet masquerade
  }
}
NFT
  # Peer routes (scenario III): every "subnet:"/"via:" pair of the config.
  awk '/subnet:/ { s = $NF } /via:/ { print s, $NF }' "$cfg" | while read -r s v; do
    ip route replace "$s" via "$v" dev "$hsi" proto 151
  done
}

guest_address() { sed -n 's/.*address="\([0-9.]*\)".*/\1/p' <<<"$1" | head -1; }

case "${1:-}" in
status)
  printf '['
  sep=
  for f in "$state"/*.guest; do
    [ -e "$f" ] || continue
    read -r name address <"$f"
    printf '%s{"domain":"%s","address":"%s"}' "$sep" "$name" "$address"
    sep=,
  done
  printf ']\n'
  ;;
hook)
  domain=$3 op=$4
  xml=$(cat)
  address=$(guest_address "$xml")
  case "$op" in
  started | reconnect)
    host_setup
    ip route replace "$address/32" dev "$bridge" proto 151
    nft add element arp rhk_ref guests "{ $address }"
    echo "$domain $address" >"$state/$domain.guest"
    ;;
  stopped | release)
    ip route del "$address/32" dev "$bridge" proto 151 2>/dev/null || true
    nft delete element arp rhk_ref guests "{ $address }" 2>/dev/null || true
    rm -f "$state/$domain.guest"
    ;;
  esac
  ;;
*)
  echo "usage: $0 hook qemu DOMAIN OP SUBOP EXTRA | status --json" >&2
  exit 2
  ;;
esac

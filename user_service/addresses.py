"""Client addresses: which one a request came from, and how it is counted."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def address_key(address: str) -> str:
    """IPv4 addresses count alone; IPv6 ones by their /64, which one client usually owns whole."""
    ip = _ip(address)
    if ip is None:
        return f"addr:{address[:100]}"
    if isinstance(ip, ipaddress.IPv6Address):
        return f"addr:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"addr:{ip}"


def parse_networks(entries: Sequence[str]) -> list[Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def in_networks(address: str, networks: Sequence[Network]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in net for net in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: X-Forwarded-For's first entry when the peer is a trusted proxy, else the peer."""
    peer = peer or "unknown"
    if forwarded_for and in_networks(peer, trusted):
        first = _ip(forwarded_for.split(",")[0].strip())
        if first is not None:
            return str(first)
    return peer


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address parsed, an IPv4-mapped IPv6 one as IPv4; None if it is no address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip

"""Which addresses a feed fetch may connect to: public ones only, unless exempt.

fetch() resolves the host and refuses it if any of its addresses is not public, before
aiohttp connects. That check alone has a DNS-rebinding gap: aiohttp resolves the name
again, and a hostile DNS server can answer a public address the first time and 127.0.0.1
(or 169.254.169.254, the cloud metadata service) the second. A session whose connector
uses :class:`AddressGuardResolver` closes it: the guard checks the very addresses aiohttp
then connects to (and caches). Literal IPs skip resolvers, but they cannot rebind and the
first check covers them. Not covered: a proxy (``trust_env=True``) resolves on its own.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Protocol

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

_NOT_PUBLIC = ("is_private", "is_loopback", "is_link_local", "is_reserved", "is_multicast")


class AddressRules(Protocol):
    """The part of a FetchPolicy that says which private hosts are allowed anyway."""

    @property
    def allow_private_addresses(self) -> bool: ...

    @property
    def allowed_hosts(self) -> frozenset[str]: ...


class RefusedAddressError(OSError):
    """Raised inside aiohttp's resolver; fetch() reports it as "private-address"."""


def is_exempt(rules: AddressRules, host: str, port: int | None) -> bool:
    """Whether ``host:port`` skips the check (``allowed_hosts`` holds "host:port" or "host")."""
    if rules.allow_private_addresses:
        return True
    host = host.rstrip(".")  # "example.org." is "example.org"
    shown = f"[{host}]" if ":" in host else host
    return shown in rules.allowed_hosts or f"{shown}:{port}" in rules.allowed_hosts


def refusal(host: str, address: str) -> str | None:
    """Why ``address`` (one of ``host``'s) must not be connected to; None when public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 scope id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    flags = [name.removeprefix("is_") for name in _NOT_PUBLIC if getattr(ip, name)]
    if ip.is_unspecified:
        flags.append("unspecified")
    if not flags and not ip.is_global:  # e.g. 100.64.0.0/10, carrier-grade NAT
        flags.append("not global")
    return f"{host} is {address} ({', '.join(flags)})" if flags else None


async def resolve(host: str, port: int | None) -> list[str]:
    """The addresses ``host`` resolves to (resolution only: nothing is connected to)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def refusal_of_host(rules: AddressRules, host: str, port: int | None) -> str | None:
    """Why ``host`` must not be fetched from, or None. OSError when it does not resolve."""
    if is_exempt(rules, host, port):
        return None
    try:
        addresses = [str(ipaddress.ip_address(host))]  # a literal IP: nothing to resolve
    except ValueError:
        addresses = await resolve(host, port)
    # Any private answer refuses the host: aiohttp may try each address in turn.
    reasons = (refusal(host, address) for address in addresses)
    return next((reason for reason in reasons if reason is not None), None)


class AddressGuardResolver(AbstractResolver):
    """aiohttp resolver that refuses non-public answers, so connections go only to checked
    addresses. ``inner`` does the resolving (aiohttp's threaded resolver by default)."""

    def __init__(self, rules: AddressRules, inner: AbstractResolver | None = None) -> None:
        self._rules = rules
        self._inner = inner if inner is not None else aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not is_exempt(self._rules, host, port):
            for result in results:
                if (reason := refusal(host, result["host"])) is not None:
                    raise RefusedAddressError(reason)
        return results

    async def close(self) -> None:
        await self._inner.close()

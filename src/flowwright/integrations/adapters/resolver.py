"""Name resolution with the operating system's resolver, off the event loop."""

from __future__ import annotations

import asyncio
import socket


class SystemResolver:
    """``getaddrinfo`` for TCP on the given port; each address once, in the resolver's order."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        addresses: list[str] = []
        for family, _, _, _, sockaddr in infos:
            address = str(sockaddr[0])
            if family in (socket.AF_INET, socket.AF_INET6) and address not in addresses:
                addresses.append(address)
        return addresses

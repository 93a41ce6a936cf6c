"""API keys kept briefly in memory, so that calls need not decrypt them from the database.

Only values found are kept, for ``ttl_seconds``: a secret set or replaced is used by this
process's calls within that time; a missing secret is looked up again on every call.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flowwright.agents.application.ports import SecretReader


class CachedSecretReader:
    """Satisfies :class:`flowwright.agents.application.ports.SecretReader`."""

    def __init__(
        self,
        inner: SecretReader,
        *,
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._values: dict[tuple[str, str], tuple[float, str]] = {}

    async def read(self, tenant_id: str, name: str) -> str | None:
        key = (tenant_id, name)
        cached = self._values.get(key)
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        value = await self._inner.read(tenant_id, name)
        if value is None:
            self._values.pop(key, None)
        elif self._ttl > 0:
            self._values[key] = (self._monotonic() + self._ttl, value)
        return value

"""Errors of the integrations context, placed in the kernel error tree.

::

    NonRetryableError
    ├── BlockedDestination      ssrf_blocked: the policy refuses the URL or address
    ├── ValidationFailed
    │   └── InvalidUrl          invalid_url: not a URL the client can send to
    ├── ResponseTooLarge        response_too_large: the body passed the size limit
    ├── TooManyRedirects        too_many_redirects
    └── HttpProtocolError       http_protocol: a response that cannot be decoded
    RetryableError
    ├── HttpTimeout             http_timeout: connect, read or total time ran out
    └── HttpConnectionError     http_connection: resolving, connecting or the exchange failed
"""

from __future__ import annotations

from flowwright.kernel.errors import NonRetryableError, RetryableError, ValidationFailed


class BlockedDestination(NonRetryableError):
    """The destination is one a workflow step may not reach (loopback, private, metadata...)."""

    code = "ssrf_blocked"


class InvalidUrl(ValidationFailed):
    code = "invalid_url"


class ResponseTooLarge(NonRetryableError):
    code = "response_too_large"


class TooManyRedirects(NonRetryableError):
    code = "too_many_redirects"


class HttpProtocolError(NonRetryableError):
    code = "http_protocol"


class HttpTimeout(RetryableError):
    code = "http_timeout"


class HttpConnectionError(RetryableError):
    code = "http_connection"

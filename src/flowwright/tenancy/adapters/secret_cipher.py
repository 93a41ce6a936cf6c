"""AES-256-GCM for secret values, and the installation's secret keys.

Keys come from ``FLOWWRIGHT_SECRETS_KEYS`` (``key_id:base64key`` separated by commas, the first
one current) or, when that is unset, from ``secrets.key`` in the data directory, generated once
with mode 0600 and holding the same format one key per line. Every listed key can decrypt; only
the current one encrypts. To rotate: put a new key first, keep the old ones after it, run
``flowwright secrets rotate-key``, then drop the old keys.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from flowwright.kernel.errors import ValidationFailed
from flowwright.tenancy.domain.secrets import SealedValue, SecretUnreadable

KEY_ID_RE = re.compile(r"\A[A-Za-z0-9_.-]{1,64}\Z")
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_FILE_NAME = "secrets.key"
SETTING = "FLOWWRIGHT_SECRETS_KEYS"


class AesGcmSecretCipher:
    """Satisfies :class:`flowwright.tenancy.application.ports.SecretCipher`."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("at least one secret key is needed")
        self._current = keys[0][0]
        self._keys = {key_id: AESGCM(key) for key_id, key in keys}

    @property
    def current_key_id(self) -> str:
        return self._current

    def seal(self, plaintext: str, *, associated_data: bytes) -> SealedValue:
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._keys[self._current].encrypt(nonce, plaintext.encode(), associated_data)
        return SealedValue(ciphertext=ciphertext, nonce=nonce, key_id=self._current)

    def open(self, sealed: SealedValue, *, associated_data: bytes) -> str:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise SecretUnreadable(
                f"the secret was encrypted with key '{sealed.key_id}', which is not configured: "
                f"add it back to {SETTING} (after the current key)"
            )
        try:
            return key.decrypt(sealed.nonce, sealed.ciphertext, associated_data).decode()
        except InvalidTag as exc:
            raise SecretUnreadable(
                f"the secret does not decrypt with key '{sealed.key_id}' (altered or misplaced)"
            ) from exc


def parse_keys(spec: str, *, source: str = SETTING) -> list[tuple[str, bytes]]:
    """``id:base64key`` items separated by commas or newlines; the first is current."""
    keys: list[tuple[str, bytes]] = []
    for item in re.split(r"[,\n]", spec):
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not KEY_ID_RE.match(key_id):
            raise ValidationFailed(f"{source}: each key reads 'key_id:base64key'")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed(f"{source}: key '{key_id}' is not valid base64") from exc
        if len(key) != KEY_BYTES:
            raise ValidationFailed(f"{source}: key '{key_id}' must be {KEY_BYTES} bytes (AES-256)")
        if any(existing == key_id for existing, _ in keys):
            raise ValidationFailed(f"{source}: key id '{key_id}' appears twice")
        keys.append((key_id, key))
    if not keys:
        raise ValidationFailed(f"{source} holds no key")
    return keys


def new_key_line() -> str:
    key_id = "local-" + secrets.token_hex(4)
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


def load_keys(setting: str | None, data_dir: Path) -> list[tuple[str, bytes]]:
    """The configured keys, or those of the key file (created on first use)."""
    if setting:
        return parse_keys(setting)
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another role of this installation made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(new_key_line() + "\n")
    return parse_keys(path.read_text(), source=str(path))


def prepend_key_file(data_dir: Path) -> str:
    """Put a new current key first in the key file (the old ones stay to decrypt); its id."""
    path = data_dir / KEY_FILE_NAME
    old = path.read_text() if path.exists() else ""
    line = new_key_line()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(line + "\n" + old)
    os.replace(tmp, path)
    return line.split(":", 1)[0]

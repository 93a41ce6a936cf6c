"""CLI profiles: which server to talk to and with which API key.

Stored in ``$FLOWWRIGHT_CONFIG_DIR/profiles.json`` (default ``~/.config/flowwright``), readable by
its owner only. ``FLOWWRIGHT_URL`` and ``FLOWWRIGHT_API_KEY`` override the stored profile.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from flowwright.kernel.errors import ValidationFailed


@dataclass(frozen=True)
class Profile:
    url: str
    api_key: str


def config_dir() -> Path:
    configured = os.environ.get("FLOWWRIGHT_CONFIG_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "flowwright"


def _path() -> Path:
    return config_dir() / "profiles.json"


def _read_all() -> dict[str, dict[str, str]]:
    path = _path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"{path} is not valid JSON: {exc}") from exc
    profiles = data.get("profiles", {}) if isinstance(data, dict) else {}
    return profiles if isinstance(profiles, dict) else {}


def save_profile(name: str, profile: Profile) -> Path:
    profiles = _read_all()
    profiles[name] = {"url": profile.url, "api_key": profile.api_key}
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"profiles": profiles}, handle, indent=2)
    os.replace(tmp, path)
    return path


def load_profile(name: str) -> Profile | None:
    env_url, env_key = os.environ.get("FLOWWRIGHT_URL"), os.environ.get("FLOWWRIGHT_API_KEY")
    stored = _read_all().get(name)
    url = env_url or (stored or {}).get("url")
    key = env_key or (stored or {}).get("api_key")
    if not url or not key:
        return None
    return Profile(url=url.rstrip("/"), api_key=key)

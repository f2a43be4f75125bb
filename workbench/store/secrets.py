"""The project's secret: one master key per project, from which each use derives its own key.

The suppression list stores HMACs of addresses, and tracking links are signed; both need a key that is not in
``workbench.toml`` (settings are shared and committed; secrets never live there). The master key comes from the
environment variable named by ``[delivery] secret_env`` when that is set, else from ``secret.key`` in the project
folder, created on first use with 32 random bytes and mode 0600. Each purpose ("suppression", "tracking") gets
HMAC-SHA256(master, purpose), so one leaked derived key does not reveal the others.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from ..errors import ProjectError

SECRET_FILE = "secret.key"


def master_key(project_dir: Path, env_name: str | None, environ: Mapping[str, str] | None = None) -> bytes:
    """The project's master key: from ``$env_name`` when named, else ``secret.key`` (created when missing)."""
    environ = os.environ if environ is None else environ
    if env_name:
        value = environ.get(env_name)
        if not value:
            raise ProjectError(
                f"{project_dir}: [delivery] secret_env names ${env_name}, which is not set; "
                "set it, or remove the setting to keep the key in secret.key"
            )
        return value.encode("utf-8")
    file = project_dir / SECRET_FILE
    if not file.exists():
        try:
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: read theirs
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
                out.flush()
                os.fsync(out.fileno())
    text = file.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise ProjectError(
            f"{file}: the project secret is empty or too short; delete the file to make a new one"
        )
    return text.encode("ascii")


def derived_key(master: bytes, purpose: str) -> bytes:
    """The key for one purpose ("suppression", "tracking"...): HMAC-SHA256(master, purpose)."""
    return hmac.new(master, purpose.encode("utf-8"), hashlib.sha256).digest()

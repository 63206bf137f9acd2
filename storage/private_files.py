"""Owner-only files a data directory keeps (keys, secrets), created whole or not at all.

Written beside their place and then hard-linked into it: a process killed half-way leaves no empty or
half-written file for the next start to trip over, and two processes creating the same file at once
cannot both succeed — the second gets FileExistsError and reads the first one's.
"""

from __future__ import annotations

import os
from pathlib import Path


def create_private_file(path: Path, content: bytes) -> None:
    """Create `path` (mode 0600) holding all of `content`; FileExistsError if it is already there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)

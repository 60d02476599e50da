"""Files the CLI writes look like files any tool writes: the umask's mode, or the old one's.

They are written atomically (a temp file renamed into place); the temp file's owner-only
mode must not become the report's, or a CI job's other users cannot read it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from support import run_cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umask_mode_and_a_replaced_one_keeps_its_own(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    old = os.umask(0o022)  # the child inherits it
    try:
        done = run_cli("schema", "-o", str(out), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert _mode(out) == 0o644
        out.chmod(0o600)
        done = run_cli("schema", "-o", str(out), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert _mode(out) == 0o600
    finally:
        os.umask(old)

"""`make test` brings what the tests need (scripts/test-services), run for real.

The machine's tools stay as they are: a folder put first on PATH holds stand-ins for
the system's apt-get, id and sudo (an apt-get that cannot install, a user who is not
root and has no sudo), and WALKAWAY_CHROMIUM points at a browser that is not there.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

SCRIPT = ROOT / "scripts" / "test-services"
APT_FAILS = """#!/bin/sh
echo "apt-get $*" >> "{log}"
[ "$1" = update ] && exit 0
echo "E: Unable to locate package chromium" >&2
exit 100
"""
NOT_ROOT = '#!/bin/sh\nif [ "$1" = "-u" ]; then echo 1000; else exec /usr/bin/id "$@"; fi\n'
NO_SUDO = "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n"


def stand_ins(folder: Path, *, root: bool) -> Path:
    """A bin folder with an apt-get that installs nothing (and logs its calls); unless ``root``,
    an id that says uid 1000 and a sudo that asks for a password."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    tools = {"apt-get": APT_FAILS.format(log=folder / "apt.log")}
    if not root:
        tools |= {"id": NOT_ROOT, "sudo": NO_SUDO}
    for name, text in tools.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def make_test(folder: Path, *, ci: bool, root: bool) -> subprocess.CompletedProcess[str]:
    """``make test`` with no Chromium to be had. The steps it would run next are replaced
    by ``make --version``, so a wrong pass shows as "GNU Make" instead of a second suite."""
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "MAKEFLAGS", "MAKELEVEL"}}
    env["PATH"] = f"{stand_ins(folder, root=root)}:{env['PATH']}"
    env["WALKAWAY_CHROMIUM"] = str(folder / "no-chromium")
    if ci:
        env["CI"] = "true"
    command = ["make", "--no-print-directory", "-o", ".venv/.installed",
               "-o", ".venv/.installed-test", "test", "TEST_STEPS=--version"]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_under_ci_make_test_fails_when_chromium_cannot_be_installed(tmp_path: Path) -> None:
    done = make_test(tmp_path, ci=True, root=True)
    assert done.returncode != 0
    assert "GNU Make" not in done.stdout  # stopped before any test step
    assert "apt-get install -y -qq chromium" in (tmp_path / "apt.log").read_text()
    lines = [line for line in done.stderr.splitlines() if "FAIL" in line]
    assert lines == [
        f"test-services: FAIL: Chromium ({tmp_path / 'no-chromium'}, for the dashboard's "
        "end-to-end tests) is missing and could not be installed; run: apt-get update && "
        "apt-get install -y chromium (under CI=true this fails the tests, it never skips them)"
    ]


def test_without_root_or_sudo_it_says_the_command_and_ci_fails(tmp_path: Path) -> None:
    done = make_test(tmp_path, ci=True, root=False)
    assert done.returncode != 0 and "GNU Make" not in done.stdout
    assert not (tmp_path / "apt.log").exists()  # no install tried without the rights
    assert "run: sudo apt-get update && sudo apt-get install -y chromium" in done.stderr


def test_outside_ci_the_missing_browser_is_one_line_and_the_tests_go_on(tmp_path: Path) -> None:
    done = make_test(tmp_path, ci=False, root=False)
    assert done.returncode == 0, done.stderr
    assert "GNU Make" in done.stdout  # the test steps ran
    [line] = [line for line in done.stderr.splitlines() if "Chromium" in line and "run:" in line]
    assert "the tests that need it will skip" in line
    assert line.endswith("run: sudo apt-get update && sudo apt-get install -y chromium")


def _initdb() -> str | None:
    found = shutil.which("initdb") or sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_throwaway_postgres_when_none_answers_and_gone_after(tmp_path: Path) -> None:
    if _initdb() is None:
        if IN_CI:
            pytest.fail("PostgreSQL's initdb is required under CI=true")
        pytest.skip("PostgreSQL is not installed here (no initdb)")
    port = _free_port()
    probe = (
        "import os, sqlalchemy as sa\n"
        "engine = sa.create_engine(os.environ['WALKAWAY_TEST_PG'])\n"
        "with engine.connect() as conn:\n"
        "    print(conn.execute(sa.text('show port')).scalar())\n"
    )
    env = {**os.environ, "WALKAWAY_TEST_PG_PORT": str(port)}
    env.pop("WALKAWAY_TEST_PG", None)
    python = sys.executable  # the interpreter running the tests has SQLAlchemy
    done = subprocess.run(
        ["bash", str(SCRIPT), python, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(port)
    assert f"starting a throw-away PostgreSQL on 127.0.0.1:{port}" in done.stderr
    folder = done.stderr.rsplit(" in ", 1)[1].split()[0]
    assert not Path(folder).exists() and not _answers(port)  # stopped and removed

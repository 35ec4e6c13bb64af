"""No file makes a traceback: odd encodings, damaged workbooks, zip bombs.

Each file goes through ``walkaway import`` into a store that holds a team's deals: it
is imported as it reads, or refused with lines that each start ``error:`` and name the
file, exit status 2, and every table as it was. A workbook that would unpack past
:data:`MAX_XLSX_UNPACKED` is refused before any of it is unpacked.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.importers.hostile_files import bomb, malformed_workbooks, odd_encodings
from tests.importers.test_fuzzing import make_team_store
from tests.store_digest import table_digests
from walkaway.cli import app
from walkaway.importers.reading import MAX_XLSX_UNPACKED


@pytest.fixture(scope="module")
def team_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_team_store(tmp_path_factory.mktemp("team"))


def import_refused_or_landed(team_store: Path, folder: Path, name: str, data: bytes) -> int:
    """Imports ``data`` as ``name``: either it lands (0) or it is refused in lines that
    each start ``error:`` and name the file, nothing written (2). Never a traceback."""
    db = folder / "store.db"
    shutil.copy(team_store, db)
    url = f"sqlite:///{db}"
    export = folder / name
    export.write_bytes(data)
    before = table_digests(url)
    done = CliRunner().invoke(app, ["import", str(export), "--db", url, "--format", "generic"])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert done.exit_code in {0, 2}, done.output
    if done.exit_code == 2:
        lines = done.stderr.strip().splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), lines
        assert name in lines[0]
        assert table_digests(url) == before
    return done.exit_code


@pytest.mark.parametrize(("how", "data"), list(odd_encodings().items()), ids=list(odd_encodings()))
def test_a_file_in_any_encoding_lands_or_is_refused_in_lines(
    team_store: Path, tmp_path: Path, how: str, data: bytes
) -> None:
    code = import_refused_or_landed(team_store, tmp_path, "deals.csv", data)
    if how in {"UTF-16 with BOM", "UTF-16 LE without BOM", "UTF-16 BE without BOM", "UTF-32"}:
        assert code == 0


@pytest.mark.parametrize(
    ("how", "data"), list(malformed_workbooks().items()), ids=list(malformed_workbooks())
)
def test_a_damaged_workbook_is_refused_in_one_line(
    team_store: Path, tmp_path: Path, how: str, data: bytes
) -> None:
    assert import_refused_or_landed(team_store, tmp_path, "deals.xlsx", data) == 2


@pytest.mark.parametrize("lying", [False, True], ids=["honest", "lying about its size"])
def test_a_zip_bomb_is_refused_without_unpacking_it(
    team_store: Path, tmp_path: Path, lying: bool
) -> None:
    """Past the limit the zip's own sizes refuse it; a zip that understates them stops
    at what it claimed (its check then fails): either way one line, little memory."""
    data = bomb(MAX_XLSX_UNPACKED + (1 << 20), lying=lying)
    assert import_refused_or_landed(team_store, tmp_path, "deals.xlsx", data) == 2


# Runs the command line and writes, last, the most memory the process ever held (KB).
# The peak of this process's own memory (VmHWM, in kB): getrusage's ru_maxrss would also
# count the parent's at the fork (Linux keeps it across exec), a whole test suite's.
PEAK_OF_COMMAND = """
import sys
from walkaway.cli import app
try:
    app(sys.argv[1:])
finally:
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def test_a_bomb_is_refused_within_a_memory_bound(tmp_path: Path) -> None:
    """A 1 GB sheet packed into a few MB: the command that refuses it holds less than
    half of that, libraries included (a sheet of that size would need several GB)."""
    export = tmp_path / "deals.xlsx"
    export.write_bytes(bomb(1 << 30))
    assert export.stat().st_size < 10 << 20
    db = str(tmp_path / "s.db")
    done = subprocess.run(
        [sys.executable, "-c", PEAK_OF_COMMAND, "import", str(export), "--db", db],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: deals.xlsx: the workbook unpacks to 1,074 MB")
    peak_kb = int(done.stdout.strip().splitlines()[-1])
    assert peak_kb < 512 * 1024


def test_a_workbook_whose_zip_directory_asks_for_another_zip_version_is_one_line(
    tmp_path: Path,
) -> None:
    """Three damaged bytes in a workbook's zip directory can say it needs zip version 6.4,
    which Python's zipfile refuses with NotImplementedError (found by the importer fuzz)."""
    import io
    import zipfile

    from openpyxl import Workbook

    from walkaway.errors import InputError
    from walkaway.importers.reading import read_table

    buffer = io.BytesIO()
    Workbook().save(buffer)
    data = bytearray(buffer.getvalue())
    directory = data.rfind(b"PK\x01\x02")  # the last central directory entry
    data[directory + 6 : directory + 8] = (64).to_bytes(2, "little")  # version needed: 6.4
    path = tmp_path / "deals.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(NotImplementedError):
        zipfile.ZipFile(path)
    with pytest.raises(InputError, match=r"deals\.xlsx: cannot be read as an Excel workbook"):
        read_table(path)

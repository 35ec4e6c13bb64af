"""Documentation that fails the build when it falls behind the code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from walkaway.cli import app
from walkaway.importers import FORMATS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return sorted(getattr(typer.main.get_command(app), "commands", {}))


@pytest.mark.parametrize("name", _commands())
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"`walkaway {name}" in README, f"README.md does not document `walkaway {name}`"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_import_format_is_in_the_readme(name: str) -> None:
    assert name in README.split("## Importing", 1)[1], f"README.md does not describe {name}"


ARCHITECTURE = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text(
    encoding="utf-8"
)


def _contract_table(name: str) -> dict[str, str]:
    """``column -> type`` of the table between ``<!-- name -->`` markers."""
    block = ARCHITECTURE.split(f"<!-- {name} -->", 1)[1].split(f"<!-- /{name} -->", 1)[0]
    rows = [line.split(" | ") for line in block.strip().splitlines()[2:]]
    return {cells[0].lstrip("| "): cells[1] for cells in rows}


@pytest.fixture(scope="module")
def sample_frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    from datetime import datetime

    from walkaway.decision import assess_frame
    from walkaway.flags import find_flags_frame
    from walkaway.sample import SAMPLE_AS_OF
    from walkaway.service import build_demo
    from walkaway.service.pipeline import current_policy
    from walkaway.service.reading import load_pipeline
    from walkaway.signals import compute_signals

    store, _ = build_demo(str(tmp_path_factory.mktemp("arch") / "sample.db"))
    as_of = datetime.combine(SAMPLE_AS_OF, datetime.min.time())
    try:
        pipeline, policy = load_pipeline(store, as_of), current_policy(store)
        signals = compute_signals(pipeline, as_of, policy)
        frames = {
            "signals-frame": signals,
            "flags-frame": find_flags_frame(signals, policy),
            "assessment-frame": assess_frame(pipeline, as_of, policy),
        }
    finally:
        store.close()
    return {name: {c: str(t) for c, t in f.schema.items()} for name, f in frames.items()}


@pytest.mark.parametrize("frame", ["signals-frame", "flags-frame", "assessment-frame"])
def test_the_data_contract_in_architecture_md_is_the_code(
    frame: str, sample_frames: dict[str, dict[str, str]]
) -> None:
    assert _contract_table(frame) == sample_frames[frame]


def test_every_signal_is_documented_with_its_meaning() -> None:
    from walkaway.signals import SIGNALS

    block = ARCHITECTURE.split("<!-- signals-frame -->", 1)[1].split("<!-- /signals-frame", 1)[0]
    for column, meaning in SIGNALS.items():
        assert f"| {column} |" in block and meaning in block, column


def test_the_readme_library_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = README.split("### As a library", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    namespace["store"].close()  # type: ignore[attr-defined]
    shown = capsys.readouterr().out
    assert "recommendation" in shown and "walk_away" in shown


def test_the_review_excerpt_in_the_readme_is_what_the_demo_prints(tmp_path: Path) -> None:
    """The first-run path shows `walkaway review` as a pipe gets it (80 columns)."""
    block = README.split("<!-- review-excerpt -->", 1)[1].split("<!-- /review-excerpt -->")[0]
    excerpt = [line.removeprefix("   ") for line in block.strip().splitlines()[1:-1]]
    command = [sys.executable, "-m", "walkaway", "demo", "--db", str(tmp_path / "demo.db")]
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    done = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, check=True
    )
    lines = done.stdout.splitlines()
    start = lines.index(excerpt[0])
    assert lines[start : start + len(excerpt)] == excerpt

"""Settings are read from the environment once, at the edge, and passed down."""

from __future__ import annotations

from pathlib import Path

import pytest

from walkaway.settings import Settings
from walkaway.web.settings import WebSettings


@pytest.mark.parametrize(
    ("env", "folder"),
    [
        ({"WALKAWAY_COPY_DIR": "/srv/copies", "XDG_CACHE_HOME": "/xdg"}, "/srv/copies"),
        ({"XDG_CACHE_HOME": "/xdg"}, "/xdg/walkaway"),
        ({"WALKAWAY_COPY_DIR": "", "XDG_CACHE_HOME": ""}, "HOME/.cache/walkaway"),
    ],
)
def test_the_copy_folder_comes_from_the_environment(
    env: dict[str, str], folder: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = Path(folder.replace("HOME", str(tmp_path)))
    assert Settings.from_env(env).copy_dir == expected
    assert WebSettings.from_env(env).copy_dir == expected


def test_settings_made_by_hand_keep_no_copy_folder() -> None:
    assert Settings().copy_dir is None and WebSettings().copy_dir is None

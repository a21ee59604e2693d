"""`chessgru gui` on a Linux without Qt's X11 libraries: one sentence, not a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chessgru.errors import UserError
from chessgru.gui import platform_check
from chessgru.gui.platform_check import install_hint, not_found, uses_xcb

LDD = """\
\tlibQt6XcbQpa.so.6 => /x/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => /lib/libxcb-cursor.so.0 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_ldd_output_names_each_missing_library_once() -> None:
    assert not_found(LDD) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert not_found("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


def test_hint_names_the_debian_packages_in_one_sentence() -> None:
    hint = install_hint(not_found(LDD))
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1`" in hint
    assert hint.count(".") >= 1 and "\n" not in hint


@pytest.mark.parametrize(
    ("env", "platform", "xcb"),
    [
        ({}, "linux", True),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({}, "darwin", False),
        ({}, "win32", False),
    ],
)
def test_only_the_x11_platform_is_checked(env: dict, platform: str, xcb: bool) -> None:
    assert uses_xcb(env, platform) is xcb


def test_check_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform_check, "missing_libraries", lambda: ["libxcb-icccm.so.4"])
    with pytest.raises(UserError, match="libxcb-icccm4"):
        platform_check.check_display({"DISPLAY": ":0"})
    platform_check.check_display({"QT_QPA_PLATFORM": "offscreen"})  # not X11: nothing to say
    monkeypatch.setattr(platform_check, "missing_libraries", lambda: [])
    with pytest.raises(UserError, match="DISPLAY"):
        platform_check.check_display({})
    platform_check.check_display({"DISPLAY": ":0"})


def test_gui_command_names_the_missing_packages_instead_of_aborting() -> None:
    code = (
        "import chessgru.gui.platform_check as pc; "
        "pc.missing_libraries = lambda plugin=None: ['libxcb-keysyms.so.1']; "
        "from chessgru.cli import main; print(main(['gui']))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = ":99"
    if not sys.platform.startswith("linux"):
        pytest.skip("Qt's X11 platform is Linux only")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.stdout.split() == ["2"]
    assert out.stderr.count("\n") == 1 and "libxcb-keysyms1" in out.stderr

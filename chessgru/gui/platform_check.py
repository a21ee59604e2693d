"""Can Qt open a window here? Checked before the QApplication, which aborts the process.

On Linux, Qt's X11 platform plugin (xcb) needs a dozen system libraries that a minimal
install lacks; Qt then prints "xcb-cursor0 is needed" (not always the real gap) and aborts
with a core dump. We ask the dynamic linker which of the plugin's libraries are missing
and name the Debian/Ubuntu packages that hold them. Nothing here imports Qt.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from chessgru.errors import UserError

#: Shared libraries Qt's xcb plugin loads -> the Debian/Ubuntu package holding each.
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libdbus-1.so.3": "libdbus-1-3",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt will try its X11 plugin: Linux, no other platform asked for, not Wayland."""
    if not platform.startswith("linux"):
        return False
    asked = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if asked:
        return asked == "xcb"
    return env.get("XDG_SESSION_TYPE") != "wayland" or not env.get("WAYLAND_DISPLAY")


def not_found(ldd_output: str) -> list[str]:
    """Libraries `ldd` reports as "not found", each once, in its order."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(next(iter(spec.submodule_search_locations))) / "Qt/plugins/platforms/libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path | None = None) -> list[str]:
    """System libraries Qt's xcb plugin needs and cannot find (empty when all are there)."""
    plugin = plugin or xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is not None and ldd is not None:
        try:
            out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20)
            return not_found(out.stdout)
        except (OSError, subprocess.SubprocessError):
            pass
    # No ldd: ask the linker cache for the libraries a minimal install most often lacks.
    wanted = [name for name in XCB_PACKAGES if "xcb" in name or "xkb" in name]
    return [name for name in wanted if ctypes.util.find_library(name[3:].split(".so")[0]) is None]


def install_hint(missing: list[str]) -> str:
    """One sentence naming the missing libraries and the packages to install."""
    packages = list(dict.fromkeys(XCB_PACKAGES.get(name, name) for name in missing))
    return (
        f"Qt cannot open a window: the system libraries {', '.join(missing)} are missing; "
        f"on Debian/Ubuntu install them with `sudo apt-get install {' '.join(packages)}` "
        "(README.md lists all of Qt's packages)."
    )


def check_display(env: Mapping[str, str] = os.environ) -> None:
    """UserError in one sentence when Qt's X11 platform would abort; nothing otherwise."""
    if not uses_xcb(env):
        return
    missing = missing_libraries()
    if missing:
        raise UserError(install_hint(missing))
    if not env.get("DISPLAY"):
        raise UserError(
            "there is no display to open a window on (DISPLAY is not set); run it in a "
            "desktop session, or under `xvfb-run chessgru gui`."
        )

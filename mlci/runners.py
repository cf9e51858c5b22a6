"""Runner labels: which are GitHub-hosted, which conflict, which are custom.

The tables follow actionlint's runner-label rule (``rule_runner_label.go`` of the
actionlint that ``mlci[lint]`` installs): a label is custom when it is neither a
GitHub-hosted label nor a preset self-hosted label, compared case-insensitively,
never by prefix (``ubuntu-gpu`` is custom). Two labels conflict when no runner image
can carry both (``ubuntu-latest`` with ``windows-latest``, ``linux`` with ``macos``).
"""

from __future__ import annotations

_U2204, _U2404, _U2604 = "ubuntu-22.04", "ubuntu-24.04", "ubuntu-26.04"
_MAC = {
    "xcode-27": "xcode-27",
    "xcode-27-xlarge": "xcode-27-xl",
    "macos-latest-xlarge": "macos-15-xl",
    "macos-latest-large": "macos-26-l",
    "macos-latest": "macos-26",
    "macos-26-intel": "macos-26-intel",
    "macos-26-xlarge": "macos-26-xl",
    "macos-26-large": "macos-26-l",
    "macos-26": "macos-26",
    "macos-15-intel": "macos-15-intel",
    "macos-15-xlarge": "macos-15-xl",
    "macos-15-large": "macos-15-l",
    "macos-15": "macos-15",
    "macos-14-xlarge": "macos-14-xl",
    "macos-14-large": "macos-14-l",
    "macos-14": "macos-14",
}
_WIN = {
    "windows-latest": {"windows-2025-vs2026"},
    "windows-latest-8-cores": {"windows-2022"},
    "windows-2025": {"windows-2025-vs2026"},
    "windows-2025-vs2026": {"windows-2025-vs2026"},
    "windows-2022": {"windows-2022"},
    "windows-11-arm": {"windows-11-arm", "windows-11-vs2026-arm"},
    "windows-11-vs2026-arm": {"windows-11-vs2026-arm"},
}

#: GitHub-hosted label -> the runner images it may select.
HOSTED: dict[str, frozenset[str]] = {
    "ubuntu-slim": frozenset({_U2404}),
    "ubuntu-latest": frozenset({_U2404}),
    "ubuntu-latest-4-cores": frozenset({_U2404}),
    "ubuntu-latest-8-cores": frozenset({_U2404}),
    "ubuntu-latest-16-cores": frozenset({_U2404}),
    "ubuntu-26.04": frozenset({_U2604}),
    "ubuntu-26.04-arm": frozenset({_U2604}),
    "ubuntu-24.04": frozenset({_U2404}),
    "ubuntu-24.04-arm": frozenset({_U2404}),
    "ubuntu-22.04": frozenset({_U2204}),
    "ubuntu-22.04-arm": frozenset({_U2204}),
    **{label: frozenset({image}) for label, image in _MAC.items()},
    **{label: frozenset(images) for label, images in _WIN.items()},
}
#: Preset self-hosted OS labels -> the images of that OS.
PRESET_OS: dict[str, frozenset[str]] = {
    "linux": frozenset({_U2204, _U2404, _U2604}),
    "macos": frozenset(_MAC.values()),
    "windows": frozenset().union(*_WIN.values()),
}
#: Preset self-hosted labels that say nothing about the OS.
PRESET_OTHER = frozenset({"self-hosted", "x64", "arm", "arm64"})


def is_custom(label: str) -> bool:
    """Whether actionlint must be told about ``label`` (.github/actionlint.yaml)."""
    lower = label.lower()
    return lower not in HOSTED and lower not in PRESET_OS and lower not in PRESET_OTHER


def conflict(labels: list[str]) -> tuple[str, str] | None:
    """The first two labels no runner can carry together, if any."""
    seen: list[tuple[str, frozenset[str]]] = []
    for label in labels:
        images = HOSTED.get(label.lower()) or PRESET_OS.get(label.lower())
        if images is None:
            continue
        for other, other_images in seen:
            if not images & other_images:
                return other, label
        seen.append((label, images))
    return None

"""The mapping files on disk: read both, notice an edit cheaply, save an edit with history.

A broken or unreadable file must be named (file, line) rather than crash the
daemon; a saved edit must never leave a half-written file, and every version
it replaces must be kept so an admin can compare and put it back. So: files
are read as UTF-8 (a BOM tolerated) with each unreadable one named; a save
copies the current file to ``history/`` and replaces the live one atomically
(temporary file, fsync, rename), refusing when the file changed since the
editor read it. What the texts mean is ``bridge.core.mapping``'s business.

A save and its audit entry (``bridge.services.mappings.save_edit``): the file is
written first; when the entry cannot be written, ``put_back`` undoes the save.
Only a console save writes into ``history/``, so a kept file with no audit entry
naming it is a save cut short between the two (a crash): found and audited at
start (``flag_unaudited_saves``).
"""

from __future__ import annotations

import difflib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bridge.core.mapping import MappingConfigError, MappingProblem, mapping_version
from bridge.core.mapping.edit import EditConflict, HistoryEntry

CATALOGUE_FILE = "catalogue.toml"
SKUS_FILE = "skus.toml"
HISTORY_DIR = "history"
_STAMP = "%Y%m%dT%H%M%S-%fZ"

Stamp = tuple[tuple[int, int] | None, ...]


class MappingDir:
    """The catalogue and SKU files of one directory (implements ``MappingFilesPort``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def names(self) -> tuple[str, str]:
        return str(self.directory / CATALOGUE_FILE), str(self.directory / SKUS_FILE)

    def stamp(self) -> Stamp:
        """(mtime in ns, size) of each file, None for a file that cannot be stat'ed."""
        stamps: list[tuple[int, int] | None] = []
        for name in self.names():
            try:
                info = Path(name).stat()
            except OSError:
                stamps.append(None)
            else:
                stamps.append((info.st_mtime_ns, info.st_size))
        return tuple(stamps)

    def read_texts(self) -> tuple[str, str]:
        """Both files as text; raises ``MappingConfigError`` naming each unreadable one."""
        texts: list[str] = []
        problems: list[MappingProblem] = []
        for name in self.names():
            try:
                data = Path(name).read_bytes()
            except OSError as exc:
                problems.append(MappingProblem(name, 0, "", f"cannot read the file: {exc.strerror or exc}"))
                continue
            try:
                texts.append(data.decode("utf-8-sig"))  # tolerate the BOM some Windows editors add
            except UnicodeDecodeError as exc:
                line = data[: exc.start].count(b"\n") + 1
                problems.append(MappingProblem(name, line, "", "not UTF-8 text (save the file as UTF-8)"))
        if problems:
            raise MappingConfigError(problems)
        return texts[0], texts[1]

    def save_skus(self, new_text: str, base_version: str, now: datetime) -> str | None:
        """Write ``new_text`` atomically, keeping the old file in ``history/``.

        Returns the kept file's name, or None when the text is unchanged; raises
        ``EditConflict`` when the files are no longer at ``base_version``. No
        ``await`` in here: read, compare and replace happen in one step of the
        event loop.
        """
        catalogue_text, current = self.read_texts()
        if current == new_text:
            return None
        if mapping_version(catalogue_text, current) != base_version:
            raise EditConflict(base_version)
        history = self.directory / HISTORY_DIR
        history.mkdir(exist_ok=True)
        # the stamp keeps digit runs short: masking (which hides 12-16 digit runs) must not touch the name
        stamp = f"{now.astimezone(UTC):{_STAMP}}"
        kept = history / f"skus.{stamp}.{mapping_version(catalogue_text, current)}.toml"
        kept.write_text(current, encoding="utf-8")
        self._replace(new_text)
        return kept.name

    def put_back(self, kept: str) -> None:
        """Undo the save that kept ``kept``: its text is the live SKU file again (atomically), and the
        kept copy goes (the save never happened, as far as the history shows)."""
        path = self.directory / HISTORY_DIR / kept
        self._replace(path.read_text(encoding="utf-8"))
        path.unlink()

    def _replace(self, text: str) -> None:
        """The live SKU file becomes ``text`` at once: a temporary file, fsync, rename."""
        fd, tmp = tempfile.mkstemp(prefix=".skus.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.directory / SKUS_FILE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def history(self, limit: int = 30) -> list[HistoryEntry]:
        """Kept versions, newest first, each with its unified diff to its successor."""
        folder = self.directory / HISTORY_DIR
        kept = sorted(folder.glob("skus.*.toml")) if folder.is_dir() else []
        texts = [p.read_text(encoding="utf-8") for p in kept]
        texts.append((self.directory / SKUS_FILE).read_text(encoding="utf-8-sig"))
        entries = []
        for i, path in enumerate(kept):
            parts = path.name.split(".")
            stamp, version = (parts[1], parts[2]) if len(parts) == 4 else ("", "?")
            diff = difflib.unified_diff(
                texts[i].splitlines(),
                texts[i + 1].splitlines(),
                fromfile=f"{version}",
                tofile="next" if i + 1 < len(kept) else "current",
                lineterm="",
                n=2,
            )
            entries.append(HistoryEntry(path.name, _parse_stamp(stamp), version, list(diff)))
        return entries[::-1][:limit]


def _parse_stamp(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None

"""The workspace: every artefact agp produces, on disk, with a manifest beside it.

Layout under ``AGP_HOME``::

    graphs/ selections/ probes/ groupings/ checkpoints/   artefacts (+ ``<file>.manifest.json``)
    cache/                                               background-job cache (diskcache)

Each artefact is written atomically, then its manifest: what produced it, with which
parameters, the hashes of its inputs, the app version and the time, so any result can be
traced and reproduced. The browser only ever holds an artefact id ``"<kind>/<name>"``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from agp_dash import __version__
from agp_dash.atomic import atomic_write_bytes, atomic_write_json
from agp_dash.errors import InputError

KINDS = ("graphs", "selections", "probes", "groupings", "checkpoints")
MANIFEST_SUFFIX = ".manifest.json"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_HASH_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_name(stem: str, suffix: str = "") -> str:
    """A file name derived from free text: letters, digits, ``._-`` only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "artefact"
    return cleaned[: 200 - len(suffix)] + suffix


@dataclass(frozen=True)
class Artefact:
    kind: str
    name: str
    path: Path
    size: int
    modified: datetime
    manifest: dict[str, Any] | None

    @property
    def artefact_id(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def provenance(self) -> str:
        if not self.manifest:
            return "no manifest (added by hand?)"
        producer = self.manifest.get("producer", "?")
        params = self.manifest.get("parameters") or {}
        shown = ", ".join(f"{k}={v}" for k, v in list(params.items())[:4])
        return f"{producer} ({shown})" if shown else producer


class Workspace:
    """Server-side artefact store rooted at ``AGP_HOME``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).expanduser().resolve()

    # -- paths ---------------------------------------------------------------------------
    def ensure(self) -> "Workspace":
        for kind in (*KINDS, "cache"):
            (self.root / kind).mkdir(parents=True, exist_ok=True)
        return self

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def path(self, kind: str, name: str) -> Path:
        if kind not in KINDS:
            raise InputError(f"unknown artefact kind {kind!r}; expected one of {', '.join(KINDS)}")
        if not _SAFE_NAME.match(name) or name.endswith(MANIFEST_SUFFIX):
            raise InputError(f"invalid artefact name {name!r}: use letters, digits, '.', '_' and '-' only")
        return self.root / kind / name

    def unique_name(self, kind: str, stem: str, suffix: str) -> str:
        """``stem + suffix``, or ``stem-2 + suffix``… if that name is taken."""
        base = safe_name(stem)
        name, n = base + suffix, 1
        while self.path(kind, name).exists():
            n += 1
            name = f"{base}-{n}{suffix}"
        return name

    # -- writing -------------------------------------------------------------------------
    def save_bytes(self, kind: str, name: str, data: bytes, *, producer: str,
                   parameters: Mapping[str, Any] | None = None,
                   inputs: Iterable[str | os.PathLike | Mapping[str, Any]] = (),
                   summary: Mapping[str, Any] | None = None) -> Artefact:
        path = self.path(kind, name)
        manifest = {
            "kind": kind,
            "name": name,
            "sha256": sha256_bytes(data),
            "size": len(data),
            "producer": producer,
            "parameters": dict(parameters or {}),
            "inputs": [_describe_input(item) for item in inputs],
            "summary": dict(summary or {}),
            "app_version": __version__,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        atomic_write_bytes(path, data)
        atomic_write_json(path.with_name(name + MANIFEST_SUFFIX), manifest)
        return self.get(kind, name)

    def save_json(self, kind: str, name: str, obj: Any, *, indent: int | None = 2, **manifest) -> Artefact:
        text = json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False)
        return self.save_bytes(kind, name, (text + "\n").encode("utf-8"), **manifest)

    def save_text(self, kind: str, name: str, text: str, **manifest) -> Artefact:
        return self.save_bytes(kind, name, text.encode("utf-8"), **manifest)

    def delete(self, kind: str, name: str) -> None:
        path = self.path(kind, name)
        for target in (path, path.with_name(name + MANIFEST_SUFFIX)):
            target.unlink(missing_ok=True)

    # -- reading -------------------------------------------------------------------------
    def get(self, kind: str, name: str) -> Artefact:
        path = self.path(kind, name)
        if not path.is_file():
            raise InputError(f"no artefact {kind}/{name} in the workspace {self.root}")
        stat = path.stat()
        return Artefact(kind=kind, name=name, path=path, size=stat.st_size,
                        modified=datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                        manifest=_read_manifest(path.with_name(name + MANIFEST_SUFFIX)))

    def resolve(self, artefact_id: str) -> Artefact:
        kind, _, name = (artefact_id or "").partition("/")
        return self.get(kind, name)

    def list(self, kinds: Iterable[str] = KINDS) -> list[Artefact]:
        """Artefacts, newest first. Temp files and manifests are not artefacts."""
        found = []
        for kind in kinds:
            folder = self.root / kind
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if entry.is_file() and not entry.name.startswith(".") \
                        and not entry.name.endswith(MANIFEST_SUFFIX) and _SAFE_NAME.match(entry.name):
                    found.append(self.get(kind, entry.name))
        return sorted(found, key=lambda a: (a.modified, a.artefact_id), reverse=True)

    def verify(self, artefact: Artefact) -> str:
        """'ok', 'modified' (hash differs from the manifest) or 'no manifest'."""
        if not artefact.manifest or "sha256" not in artefact.manifest:
            return "no manifest"
        return "ok" if sha256_file(artefact.path) == artefact.manifest["sha256"] else "modified"


def _describe_input(item: str | os.PathLike | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    path = Path(item)
    return {"name": path.name, "sha256": sha256_file(path), "size": path.stat().st_size}


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def human_size(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


def artefact_rows(artefacts: Iterable[Artefact]) -> list[dict[str, Any]]:
    """One display row per artefact (the Home tab's table)."""
    rows = []
    for artefact in artefacts:
        summary = (artefact.manifest or {}).get("summary") or {}
        about = " · ".join(str(summary[k]) for k in ("prompt", "model_id") if summary.get(k))
        rows.append({
            "id": artefact.artefact_id,
            "kind": artefact.kind,
            "name": artefact.name,
            "about": about,
            "size": human_size(artefact.size),
            "date": artefact.modified.strftime("%Y-%m-%d %H:%M:%S"),
            "provenance": artefact.provenance,
        })
    return rows

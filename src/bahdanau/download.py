"""Find the fra-eng corpus, or download it once: checksum first, then a safe extraction.

:func:`fra_eng_path` returns the path of ``fra.txt``. It looks in a ``data_dir`` argument,
else in ``$BAHDANAU_DATA`` (:data:`ENV_VAR`), else in a per-user cache
(:func:`default_data_dir`). Only when ``fra-eng/fra.txt`` is in none of them is d2l's archive
downloaded: streamed to a temporary file, its SHA-1 checked, every member name checked (no
absolute path, no ``..``), extracted, then moved into place with ``fra.txt`` last, so that
its presence means the extraction finished. A failure leaves nothing behind.

:func:`corpus_sha256` records exactly which corpus file a result came from.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

__all__ = [
    "URL",
    "SHA1",
    "ENV_VAR",
    "DATA_DIR_HELP",
    "DownloadError",
    "default_data_dir",
    "fra_eng_path",
    "corpus_sha256",
]

URL = "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip"
SHA1 = "94646ad1522d915e7b0f9296181140edcf86a4f5"
ENV_VAR = "BAHDANAU_DATA"

# The --data-dir help of the command-line programs (train, evaluate).
DATA_DIR_HELP = f"folder holding fra-eng/fra.txt (default: ${ENV_VAR} or the user cache)"


class DownloadError(RuntimeError):
    """The corpus was not found locally and could not be downloaded (or failed its checks)."""


def default_data_dir() -> Path:
    """Folder that holds ``fra-eng/fra.txt``: ``$BAHDANAU_DATA`` if set, else a per-user cache.

    The cache is ``$XDG_CACHE_HOME/bahdanau``, or ``~/.cache/bahdanau`` when that is unset.
    """
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "bahdanau"


def fra_eng_path(
    data_dir: str | os.PathLike[str] | None = None,
    url: str = URL,
    sha1: str = SHA1,
    *,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Path to ``fra.txt``, downloading and extracting the archive on first use.

    Looks in ``data_dir``, else ``$BAHDANAU_DATA``, else the user cache (:func:`default_data_dir`).
    If ``<dir>/fra-eng/fra.txt`` exists it is returned as is and nothing is written, so the folder
    may be read-only. Otherwise the zip is downloaded to a temporary file in ``<dir>``, its SHA-1
    is checked, its member names are checked (no absolute paths, no ``..``), and only then is it
    extracted; ``fra.txt`` appears last, so its presence means the extraction finished. The
    archive is kept as ``<dir>/fra-eng.zip`` (d2l's layout).

    Args:
        data_dir: folder that holds (or will hold) ``fra-eng/fra.txt``.
        url, sha1: where to download the zip from and its expected SHA-1 hex digest.
        timeout: seconds to wait for the server before giving up.
        progress: show a tqdm progress bar while downloading.

    Raises:
        DownloadError: on any failure, with a message naming the URL, the folder and
            ``BAHDANAU_DATA``. Nothing is left behind: no temporary file, no zip, no partly
            extracted folder, no folder this call created.
    """
    root = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    target = root / "fra-eng" / "fra.txt"
    if target.is_file():
        return target

    def fail(reason: str) -> DownloadError:
        return DownloadError(
            f"Could not get the fra-eng corpus: {reason}.\n"
            f"  folder: {root} (no fra-eng/fra.txt there)\n"
            f"  url: {url}\n"
            f"If you have the corpus, set {ENV_VAR} to a folder that contains fra-eng/fra.txt "
            f"(or pass data_dir=...)."
        )

    # Folders this call creates, deepest first: removed again if the download fails.
    created_dirs = [folder for folder in (root, *root.parents) if not folder.exists()]
    try:
        root.mkdir(parents=True, exist_ok=True)
        zip_fd, zip_tmp_name = tempfile.mkstemp(dir=root, prefix=".fra-eng-", suffix=".zip.part")
    except OSError as error:
        _remove_empty_dirs(created_dirs)
        raise fail(f"cannot write to {root} ({error})") from error
    zip_tmp = Path(zip_tmp_name)
    extract_tmp: Path | None = None
    succeeded = False
    try:
        with os.fdopen(zip_fd, "wb") as zip_file:
            try:
                digest = _download(url, zip_file, timeout=timeout, progress=progress)
            except Exception as error:  # urllib raises URLError, HTTPError, TimeoutError, ...
                raise fail(f"download failed ({error})") from error
        # Check the checksum before opening the zip: never parse a file we do not trust.
        if digest != sha1.lower():
            raise fail(f"SHA-1 mismatch: expected {sha1}, got {digest}")
        extract_tmp = Path(tempfile.mkdtemp(dir=root, prefix=".fra-eng-extract-"))
        try:
            _safe_extract(zip_tmp, extract_tmp)
        except (zipfile.BadZipFile, ValueError) as error:
            raise fail(f"bad archive ({error})") from error
        if not (extract_tmp / "fra-eng" / "fra.txt").is_file():
            raise fail("the archive has no fra-eng/fra.txt")
        _move_into_place(extract_tmp / "fra-eng", root / "fra-eng")
        # Keep the archive next to the folder (d2l's layout); os.replace makes it appear whole.
        os.replace(zip_tmp, root / "fra-eng.zip")
        succeeded = True
    finally:
        zip_tmp.unlink(missing_ok=True)
        if extract_tmp is not None:
            shutil.rmtree(extract_tmp, ignore_errors=True)
        if not succeeded:
            _remove_empty_dirs(created_dirs)
    return target


def _remove_empty_dirs(folders: list[Path]) -> None:
    """Remove the given folders, deepest first, skipping any that is not empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass


def _download(url: str, out, *, timeout: float, progress: bool) -> str:
    """Stream ``url`` into the binary file ``out`` with a progress bar; return the SHA-1 hex digest."""
    from tqdm.auto import tqdm

    digest = hashlib.sha1()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc="fra-eng.zip", disable=not progress) as bar:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    return digest.hexdigest()


def _check_member_name(name: str) -> None:
    """Refuse a zip member that would land outside the extraction folder."""
    as_posix = name.replace("\\", "/")
    if (
        as_posix.startswith("/")
        or PureWindowsPath(name).drive
        or ".." in PurePosixPath(as_posix).parts
    ):
        raise ValueError(f"unsafe member name {name!r}")


def _safe_extract(zip_path: Path, dest: Path) -> None:
    """Extract ``zip_path`` into ``dest`` after checking every member name first."""
    with zipfile.ZipFile(zip_path) as archive:
        members = archive.infolist()
        for member in members:
            _check_member_name(member.filename)
        dest_resolved = dest.resolve()
        for member in members:
            # Second line of defence: the resolved path must stay inside dest.
            if not (dest / member.filename).resolve().is_relative_to(dest_resolved):
                raise ValueError(f"unsafe member name {member.filename!r}")
        archive.extractall(dest)


def _move_into_place(source_dir: Path, dest_dir: Path) -> None:
    """Move an extracted folder to ``dest_dir``; ``fra.txt`` arrives last (it marks completion)."""
    if not dest_dir.exists():
        os.replace(source_dir, dest_dir)  # one atomic rename
        return
    # A folder without fra.txt is already there (e.g. only _about.txt): move file by file.
    files = sorted(p for p in source_dir.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.name == "fra.txt")
    for path in files:
        destination = dest_dir / path.relative_to(source_dir)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)


def corpus_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of a file, to record exactly which corpus a result came from."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()

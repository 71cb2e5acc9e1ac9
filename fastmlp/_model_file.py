"""fastmlp's model file: a zip of .npy members (uncompressed, as np.savez
writes them), one of which, config.npy, holds the JSON description.

Writing never leaves a partial or foreign file at the target: the archive goes
to a private temporary file (mkstemp) in the target's folder, is flushed and
fsync'd, takes the mode of the file it replaces, and is renamed over it (over
a symlink's target, keeping the link).

Reading trusts nothing in the file: only the members the description names are
read, each declared shape is checked against the member's .npy header and
against the bytes the member can hold before anything is allocated, and every
malformed file raises ValueError.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

__all__ = ["MalformedFile", "write_atomically", "write_model_file", "open_model_file",
           "read_config", "read_array", "MAX_CONFIG_BYTES", "MAX_DEFLATE_RATIO"]

# The description is a few kilobytes; anything near this is not ours.
MAX_CONFIG_BYTES = 4 << 20
# deflate cannot expand data more than ~1032:1, so a member declaring more
# than this many bytes per compressed byte is lying about its size
MAX_DEFLATE_RATIO = 1100
_NPY_HEADER_MAX = 1 << 16
_READ_PIECE = 1 << 20


class MalformedFile(ValueError):
    """What the reader raises for any file it cannot trust.

    A ValueError, so callers that catch ValueError catch it too. Messages
    start with "it ..." (the file), for the caller to prefix with the path.
    """


# ---------------------------------------------------------------- writing

def _umask():
    """The process's umask, read without changing it (os.umask is not thread-safe)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def write_atomically(path, write):
    """Call write(binary file) on a private temporary file beside `path`, then
    rename it over `path` (or over the file a symlink at `path` points to)."""
    path = os.fspath(path)
    target = os.path.realpath(path) if os.path.islink(path) else path
    folder = os.path.dirname(os.path.abspath(target))
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _fsync_folder(folder):
    """Make the rename durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_model_file(path, config, arrays):
    """Write the model archive atomically: config as JSON, then the arrays.

    The archive is written by ``np.savez`` through ``write_atomically``, so
    `path` either keeps its old content or gets the whole new file.

    Parameters
    ----------
    path : str or os.PathLike
        The target file (a symlink is followed and kept).
    config : dict
        The JSON-serialisable description, stored as member config.npy.
    arrays : dict of str to numpy.ndarray
        One .npy member per entry; no key may be "config".

    Raises
    ------
    TypeError
        If `config` is not JSON-serialisable.
    OSError
        If the temporary file cannot be written or renamed; no partial file
        is left behind.
    """
    members = {"config": np.array(json.dumps(config)), **arrays}
    write_atomically(path, lambda f: np.savez(f, **members))


# ---------------------------------------------------------------- reading

def _member(archive, name, file_size):
    try:
        info = archive.getinfo(name + ".npy")
    except KeyError:
        raise MalformedFile(f"it has no {name} entry") from None
    if info.flag_bits & 0x1:
        raise MalformedFile(f"its {name!r} entry is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise MalformedFile(f"its {name!r} entry uses compression method {info.compress_type}, "
                            f"which fastmlp does not read")
    limit = info.compress_size * (1 if info.compress_type == zipfile.ZIP_STORED
                                  else MAX_DEFLATE_RATIO)
    if info.compress_size > file_size or info.file_size > limit + 1024:
        raise MalformedFile(f"its {name!r} entry declares {info.file_size} bytes, more than the "
                            f"file can hold")
    return info


def _read_header(stream, name):
    """(shape, fortran_order, dtype) from an .npy header, refusing object dtypes."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        header = np.lib.format.read_array_header_1_0(stream, max_header_size=_NPY_HEADER_MAX)
    elif version in ((2, 0), (3, 0)):
        header = np.lib.format.read_array_header_2_0(stream, max_header_size=_NPY_HEADER_MAX)
    else:
        raise MalformedFile(f"its {name!r} entry has .npy format version {version}")
    shape, fortran_order, dtype = header
    if dtype.hasobject:
        raise MalformedFile(f"its {name!r} entry holds Python objects, which fastmlp never "
                            f"unpickles")
    return shape, fortran_order, dtype


def _read_payload(stream, name, shape, fortran_order, dtype):
    count = int(np.prod(shape, dtype=object))
    out = np.empty(count, dtype=dtype)
    view = memoryview(out).cast("B")
    got = 0
    while got < view.nbytes:  # in pieces: readinto reads through a temporary of its size
        n = stream.readinto(view[got:got + _READ_PIECE])
        if not n:
            raise MalformedFile(f"its {name!r} entry is truncated")
        got += n
    if stream.read(1):
        raise MalformedFile(f"its {name!r} entry has bytes past its array")
    return out.reshape(shape, order="F" if fortran_order else "C")


def read_config(archive, file_size):
    """The parsed JSON description of an opened model file.

    Parameters
    ----------
    archive : zipfile.ZipFile
        The file, as ``open_model_file`` returns it.
    file_size : int
        The file's size in bytes, to check the member's declared sizes.

    Returns
    -------
    object
        The parsed JSON (a dict for fastmlp's own files; the caller checks).

    Raises
    ------
    MalformedFile
        If config.npy is missing, encrypted, larger than ``MAX_CONFIG_BYTES``
        or than the file can hold, not a string, truncated, or not JSON (or
        nested too deeply to parse).
    """
    info = _member(archive, "config", file_size)
    if info.file_size > MAX_CONFIG_BYTES:
        raise MalformedFile(f"its description has {info.file_size} bytes")
    with archive.open(info) as stream:
        shape, fortran_order, dtype = _read_header(stream, "config")
        if shape != () or dtype.kind != "U":
            raise MalformedFile("its description is not a string")
        text = str(_read_payload(stream, "config", shape, fortran_order, dtype)[()])
    try:
        return json.loads(text)
    except RecursionError:
        raise MalformedFile("its description nests too deeply") from None
    except ValueError as exc:
        raise MalformedFile(f"its description is not JSON ({exc})") from None


def read_array(archive, file_size, name, shape, dtype):
    """Member `name`, which must hold an array of exactly `shape` and a float
    dtype castable to `dtype`; checked before it is read."""
    info = _member(archive, name, file_size)
    expected_shape = tuple(int(s) for s in shape)
    with archive.open(info) as stream:
        got_shape, fortran_order, got_dtype = _read_header(stream, name)
        if tuple(got_shape) != expected_shape:
            raise MalformedFile(f"{name} has shape {tuple(got_shape)}, expected {expected_shape}")
        if got_dtype.kind not in "fiu" or got_dtype.itemsize > 8:
            raise MalformedFile(f"{name} has dtype {got_dtype}, expected {np.dtype(dtype).name}")
        payload = int(np.prod(expected_shape, dtype=object)) * got_dtype.itemsize
        if payload > info.file_size:
            raise MalformedFile(f"{name} declares {payload} bytes of data but its entry holds "
                                f"{info.file_size}")
        array = _read_payload(stream, name, got_shape, fortran_order, got_dtype)
    return array


def open_model_file(path):
    """Open a model file as a zip archive, with its size.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    tuple
        ``(zipfile.ZipFile, size in bytes)``; the caller closes the archive.

    Raises
    ------
    MalformedFile
        If the file is not a zip archive zipfile can read.
    OSError
        If the file cannot be found or opened.
    """
    size = os.path.getsize(path)
    try:
        return zipfile.ZipFile(path), size
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
            NotImplementedError, RuntimeError, OverflowError) as exc:
        raise MalformedFile(f"it is not a zip archive ({exc})") from None

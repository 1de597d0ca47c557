"""Swapping two names in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``).

``rename()`` replaces whatever the target names at that instant, so a file checked as an
earlier bundle and swapped for the user's own file just before the rename was deleted
(twenty-second adversarial pass, held open with strace). Exchanging the names instead
moves the earlier file aside, where it can be looked at again, and back if it is not the
file that was checked. Where the kernel, the file system or the C library cannot exchange
(not Linux, FUSE, NFS), :func:`exchange` says so and the caller renames as before.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import sys
from typing import Any

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM}


def exchange(first: str, second: str) -> bool:
    """Swap the files ``first`` and ``second`` name; False when that cannot be done here
    (nothing changed then). OSError for any other failure: one of them is missing..."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), second)


@functools.cache
def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):  # pragma: no cover - Linux only
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28 and later
    except (OSError, AttributeError):  # pragma: no cover - an older or other C library
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function

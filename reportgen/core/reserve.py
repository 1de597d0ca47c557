"""A little memory held back for saying that memory ran out.

Under an address-space limit (``ulimit -v``, ``prlimit --as``, a container's limit) a build
that runs out of memory still has to clean up and print one message; with nothing left,
printing it raised MemoryError too, and the user got a traceback and exit 1 instead of
the message and exit 2. The command line holds :data:`RESERVE_BYTES` from start-up and
every MemoryError path releases them first thing, so the message has room to be printed.
"""

from __future__ import annotations

import mmap

try:  # POSIX: the address-space limit
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

# A few MB: room for the clean-up and one message (rich imports its emoji table on its
# first print); small next to the 100 MB or more a build uses.
RESERVE_BYTES = 4 * 1024 * 1024

_held: list[bytearray] = []


def hold() -> None:
    """Set the reserve aside (again, after a release); its pages are written, so it is
    really memory, not just address space."""
    if not _held:
        _held.append(bytearray(RESERVE_BYTES))


def release() -> None:
    """Give the reserve back to the system; harmless when none is held."""
    _held.clear()


def held() -> bool:
    return bool(_held)


_NO_MEMORY = ("failed to map segment", "cannot allocate memory", "out of memory")
_LIBXML_UNKNOWN = "unknown error"


def out_of_memory(exc: BaseException) -> bool:
    """A MemoryError, or a library that could not be mapped for want of address space
    (ImportError: 'failed to map segment from shared object'): under a cap of 40 to 80 MB
    loading one printed a traceback, exit 1 (sixteenth adversarial pass)."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, SystemError) and address_space_limited():
        # a C function that failed an allocation without saying so ("error return without
        # exception set"): an internal error under a cap, once in a few builds (pass 30d)
        return True
    return isinstance(exc, (ImportError, OSError)) and any(
        words in str(exc).lower() for words in _NO_MEMORY
    )


def raise_if_out_of_memory(exc: Exception) -> None:
    """Raise a reader's failure to allocate as the MemoryError it is, which the command line
    reports as running out of memory: calamine's 'out of memory' under a memory cap was
    reported as a damaged workbook (twenty-third adversarial pass)."""
    if isinstance(exc, MemoryError):
        raise exc
    if any(words in str(exc).lower() for words in _NO_MEMORY):
        raise MemoryError(str(exc)) from exc
    # libxml2 failing to allocate is 'unknown error ... line 0' to lxml: a workbook openpyxl
    # could read with more memory was said to be damaged (pass 49d)
    libxml = type(exc).__name__ == "XMLSyntaxError" and _LIBXML_UNKNOWN in str(exc).lower()
    if libxml and address_space_limited():
        raise MemoryError(str(exc)) from exc


LIMITS = "(ulimit -v, or -d)"  # the address-space and data-size limits, as the shell sets them
MEMORY_HINT = f"Free some memory or raise the memory limit {LIMITS}, then run it again."

# Room kept beyond a library's own need: Python's next steps, and the message.
HEADROOM_BYTES = 32 * 1024 * 1024


def require_headroom(need: int) -> None:
    """MemoryError unless the address-space limit (``ulimit -v``) leaves room for ``need``
    more bytes and :data:`HEADROOM_BYTES`. calamine, written in Rust, aborts the process
    when an allocation fails, with no exception and no message (a 600,000-row workbook
    under a 400 MB cap: twenty-fourth pass); asked before it runs, the answer is Python's
    MemoryError, said as running out of memory. The room is tried, not computed: that much
    address space is mapped, never touched, and given back; counted from /proc/self/statm,
    a machine without /proc skipped the check and calamine aborted (twenty-sixth pass)."""
    if not address_space_limited():
        return
    try:
        probe = mmap.mmap(-1, need + HEADROOM_BYTES, flags=_PROBE_FLAGS)
    except (OSError, OverflowError, ValueError) as exc:
        raise MemoryError(f"{need:,} bytes more would pass the memory limit") from exc
    probe.close()


# Private, anonymous and not reserved: only address space, which is what the limit counts.
_PROBE_FLAGS = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0)


def address_space_limited() -> bool:
    """Whether this process runs under an address-space limit (``ulimit -v``) or a data
    size limit (``ulimit -d``): the probe's mapping counts against both (a 300,000-row
    workbook under ``prlimit --data`` aborted calamine: twenty-seventh pass)."""
    if resource is None:  # pragma: no cover - not POSIX
        return False
    limits = (resource.getrlimit(kind)[0] for kind in (resource.RLIMIT_AS, resource.RLIMIT_DATA))
    return any(soft != resource.RLIM_INFINITY for soft in limits)

"""Reproducible zip containers (.xlsx): fixed entry times and document dates.

A zip records a modification time for every member and openpyxl stamps the save time into
docProps/core.xml, so saving the same workbook twice gives different bytes. Saving through
:func:`save_workbook` pins both to one moment (the build time, which honours
``SOURCE_DATE_EPOCH``), so identical inputs give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from reportgen.core.clock import zip_time

_COPY_CHUNK = 1 << 20


def zip_date_time(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """The zip member time for ``moment``: UTC wall-clock time, held to 1980-2107."""
    return zip_time(moment)


class FixedTimeZipFile(zipfile.ZipFile):
    """A write-only, deflated zip whose members all carry the same fixed time.

    Member attributes match what :class:`zipfile.ZipFile` would write, so only the times
    (which would otherwise be the wall clock) are pinned.
    """

    def __init__(self, file: str | Path | IO[bytes], moment: dt.datetime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.date_time = zip_date_time(moment)

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: str | bytes,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zinfo_or_arcname
            info.date_time = self.date_time
        else:
            info = zipfile.ZipInfo(zinfo_or_arcname, self.date_time)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16  # what ZipFile.writestr gives a named member
        super().writestr(info, data, compress_type, compresslevel)

    def write(  # type: ignore[override]
        self,
        filename: str | Path,
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        # ZipFile.write takes the member time from the file's mtime; stream it ourselves.
        info = zipfile.ZipInfo.from_file(filename, arcname)
        info.date_time = self.date_time
        info.compress_type = compress_type if compress_type is not None else self.compression
        with open(filename, "rb") as source, self.open(info, "w") as target:
            shutil.copyfileobj(source, target, _COPY_CHUNK)


def save_workbook(workbook: Workbook, target: str | Path | IO[bytes], moment: dt.datetime) -> None:
    """Save ``workbook`` (normal or write-only) with every timestamp set to ``moment``."""
    naive = zip_stamp(moment)
    workbook.properties.created = naive
    workbook.properties.modified = naive  # openpyxl's own save would stamp "now" here
    with FixedTimeZipFile(target, moment) as archive:
        ExcelWriter(workbook, archive).save()


def zip_stamp(moment: dt.datetime) -> dt.datetime:
    """``moment`` as a naive UTC datetime (what zip times and openpyxl's properties hold)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)

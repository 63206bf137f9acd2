"""归档: archival packages of issued and received documents, their 四性检测, 保管期限 and 移交.

- `ArchiveStore` (store.py): the records (`archives`) and 件号 counters (`archive_counters`).
- `RetentionSettings` (retention.py): the 保管期限 table and 全宗号 per unit (`archive_settings`).
- `build_package`, `PackageContent`, `ProcessEntry` (package.py): the ZIP itself, pure.
- `check_package`, `Expected` (checks.py): the 四性检测 of a package's bytes.
- `export_zip`, `catalogue_csv` (export.py): a year's 移交.
The flow side that gathers a document's record and decides who may archive is flows/archiving.py.
"""

from oa.archives.checks import Expected, check_package, first_problem
from oa.archives.export import catalogue_csv, export_zip
from oa.archives.package import PackageContent, ProcessEntry, build_package
from oa.archives.retention import RETENTION_CODES, RETENTIONS, RetentionSettings, check_retention
from oa.archives.stamp import ArchiveStamp
from oa.archives.store import AlreadyArchived, ArchiveStore, NumberTaken

__all__ = ["RETENTIONS", "RETENTION_CODES", "AlreadyArchived", "ArchiveStamp", "ArchiveStore", "Expected",
           "NumberTaken", "PackageContent", "ProcessEntry", "RetentionSettings", "build_package", "catalogue_csv",
           "check_package", "check_retention", "export_zip", "first_problem"]

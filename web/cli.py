"""The `oa` command: serve the service, load demo data, import a hierarchy, create an administrator."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from flows.demo_activity import DemoActivity
from oa import importer
from oa.audit_chain import configure as configure_audit
from oa.audit_chain.verify import summary_lines, verify_chains
from oa.demo_scale import check_scale
from oa.demo_setup import DEFAULT_DEMO_PASSWORD, DemoResult, load_demo
from oa.directory import Directory
from oa.errors import ImportRejected, OAError
from oa.import_parse import read_files
from oa.rendering import check_docx, laid_out
from oa.seals.authority import CA_PEM_FILE
from oa.seals.verify import load_trust_roots, summary, verify_pdf
from oa.users import UserService, create_system_admin
from storage.backup import BackupError, backup
from storage.blobs import MinioBlobStore
from storage.indexes import SchemaNotReady, apply_indexes, schema_problems
from storage.local import EmbeddedServerError
from storage.mongo import Mongo
from storage.restore import RestoreError, read_manifest, restore
from web import logs
from web.config import ConfigError, Settings, variables_table
from web.runtime import Runtime
from web.server import run
from web.services import Endpoints, Services, open_anchors

log = logging.getLogger("oa")


def _progress_bar(stage: str, done: int, total: int) -> None:
    """A one-line progress bar on stderr, redrawn in place at most once per percent."""
    if total and done < total and done * 100 // total == (done - 1) * 100 // total:
        return
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\r  {stage:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(host=getattr(args, "host", None), port=getattr(args, "port", None),
                             data_dir=getattr(args, "data_dir", None))


def _with_database(settings: Settings, work: Callable[..., Awaitable[Any]], with_endpoints: bool = False) -> Any:
    """Run `work(mongo)` (or `work(mongo, endpoints)`) against the configured database (starting or attaching
    to the embedded one)."""
    runtime = Runtime(settings, attach=True)
    try:
        endpoints = runtime.start()

        async def session() -> Any:
            mongo = await Mongo.connect(endpoints.mongodb_uri, settings.mongodb_db,
                                        timeout_ms=settings.startup_timeout * 1000)
            try:
                await apply_indexes(mongo)
                return await (work(mongo, endpoints) if with_endpoints else work(mongo))
            finally:
                await mongo.close()

        return asyncio.run(session())
    finally:
        runtime.stop()


def _with_storage(settings: Settings, attach: bool,
                  work: Callable[[Mongo, MinioBlobStore], Awaitable[Any]]) -> Any:
    """Run `work` against the database and object store as they are (no migration: a backup only reads)."""
    runtime = Runtime(settings, attach=attach)
    try:
        endpoints = runtime.start()

        async def session() -> Any:
            mongo = await Mongo.connect(endpoints.mongodb_uri, settings.mongodb_db,
                                        timeout_ms=settings.startup_timeout * 1000)
            blobs = MinioBlobStore(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key,
                                   settings.s3_bucket, secure=endpoints.s3_secure)
            try:
                return await work(mongo, blobs)
            finally:
                await mongo.close()

        return asyncio.run(session())
    finally:
        runtime.stop()


def _print_demo(result: DemoResult, password: str, url: str | None,
                waiting: list[tuple[str, str]] | None = None) -> None:
    state = "loaded" if result.loaded else "already present, left as it was"
    print(f"Demo hierarchy {state}: {result.units} units, {result.people} people.")
    print(f"All demo accounts: {result.csv_path}")
    if result.loaded:
        print(f"Every demo account's password: {password}")
    else:
        print("The demo accounts keep the password they were loaded with.")
    if url:
        print(f"Open {url} on a phone (officials: 待办, approve) or {url}desk at a desk (clerks).")
        print(f"The API is at {url}api/  (health: {url}api/health, log in: POST {url}api/login)")
    print("Logins to try:")
    for username, description in [*(waiting or []), *result.logins]:
        print(f"  {username:<24} {description}")


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    url = f"http://{settings.host}:{settings.port}/"

    async def before_listen(services: Services) -> None:
        if args.demo:
            result = await load_demo(services.mongo, settings.data_dir, args.password, progress=_progress_bar,
                                     scale=args.scale)
            if result.loaded:  # the demo was written in bulk, not through the service's directory
                await services.directory.load(services.mongo)
            activity = DemoActivity(services.mongo, services.users, services.documents, services.flows,
                                    services.dispatches)
            _print_demo(result, args.password, url, await activity.seed())

    run(settings, before_listen)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Make the collections and indexes this version needs (before `oa serve` on a configured MongoDB)."""
    settings = _settings(args)

    async def migrate(mongo: Mongo) -> list[str]:
        return await schema_problems(mongo)

    left = _with_database(settings, migrate)  # _with_database applies the migration first
    if left:
        print("not done:\n  " + "\n  ".join(left), file=sys.stderr)
        return 1
    print(f"database {settings.mongodb_db} is ready for this version")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a consistent snapshot of the database and the object store's objects into a new directory."""
    settings = _settings(args)

    async def work(mongo: Mongo, blobs: MinioBlobStore) -> dict[str, Any]:
        return await backup(mongo, blobs, args.directory, objects=args.objects, progress=_progress_bar)

    try:  # attach: a backup may run beside `oa serve` on the same data directory
        manifest = _with_storage(settings, True, work)
    except BackupError as exc:
        print(f"oa backup: {exc}", file=sys.stderr)
        return 1
    consistency, objects = manifest["consistency"], manifest["objects"]
    print(f"Backed up database {manifest['source']['database']} ({manifest['source']['server']}): "
          f"{len(manifest['collections'])} collections, {consistency['documents']} documents, read as of one "
          f"point in time by {consistency['method']} in {consistency['seconds']} s.")
    what = "copied" if objects["mode"] == "copy" else "listed (keys, sizes, SHA-256; not copied)"
    print(f"Objects {what}: {objects['count']} ({objects['bytes']} bytes). Total {manifest['seconds']} s.")
    print(f"Backup in {args.directory}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into an empty database and bucket (the embedded ones of a new data directory by default)."""
    settings = _settings(args)
    try:
        # Every file checked before anything starts: a damaged backup leaves the target untouched.
        manifest = read_manifest(args.directory)
    except RestoreError as exc:
        print(f"oa restore: {exc}", file=sys.stderr)
        return 1

    async def work(mongo: Mongo, blobs: MinioBlobStore) -> dict[str, Any]:
        return await restore(mongo, blobs, args.directory, manifest, progress=_progress_bar)

    try:  # never attach: restoring under a running service would mix two databases
        result = _with_storage(settings, False, work)
    except RestoreError as exc:
        print(f"oa restore: {exc}", file=sys.stderr)
        return 1
    print(f"Restored the backup of {result['created_at']} ({result['source']['database']} from "
          f"{result['source']['server']}) into database {settings.mongodb_db}:")
    for name, count in result["collections"].items():
        print(f"  {name:<24} {count}")
    objects = (f"{result['objects']} objects uploaded ({result['object_bytes']} bytes)"
               if result["objects_mode"] == "copy" else f"{result['objects']} objects found already in the bucket")
    print(f"{result['documents']} documents in {len(result['collections'])} collections; {objects}.")
    if not settings.seal_secret:
        print(f"Seals: copy the old data directory's seal-secret to {settings.data_dir / 'seal-secret'} before "
              "`oa serve` (or set OA_SEAL_SECRET as before); backups never hold it.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def work(mongo: Mongo) -> DemoResult:
        return await load_demo(mongo, settings.data_dir, args.password, progress=_progress_bar, scale=args.scale)

    result = _with_database(settings, work)
    _print_demo(result, args.password, None)
    print("Start the service with: oa serve")
    return 0


def cmd_import_units(args: argparse.Namespace) -> int:
    settings = _settings(args)
    units_file = (args.file.name, args.file.read_text(encoding="utf-8-sig"))
    people_file = (args.people.name, args.people.read_text(encoding="utf-8-sig")) if args.people else None

    async def work(mongo: Mongo) -> dict[str, Any]:
        plan = await importer.validate(mongo, read_files(units_file, people_file))
        if args.dry_run:
            return {"dry_run": True, **plan.summary()}
        return await importer.apply(mongo, plan, by="cli", progress=_progress_bar)

    try:
        result = _with_database(settings, work)
    except ImportRejected as rejected:
        print(f"Import refused: {rejected.message}", file=sys.stderr)
        for error in rejected.details.get("errors", []):
            print(f"  {error['file']} line {error['line']}: {error['reason']}", file=sys.stderr)
        return 1
    if result.get("dry_run"):
        print(f"Dry run: the files are valid ({result['units']} units, {result['people']} people, "
              f"{result['posts']} posts); nothing was written.")
    else:
        print(f"Imported {result['units']} units, {result['people']} people, {result['posts']} posts.")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    settings = _settings(args)
    password = os.environ.get("OA_ADMIN_PASSWORD") or getpass.getpass("Password for the new administrator: ")

    async def work(mongo: Mongo) -> dict[str, Any]:
        return await create_system_admin(UserService(mongo, Directory()), args.username, args.display_name, password)

    user = _with_database(settings, work)
    print(f"Created platform administrator {user['username']} ({user['display_name']}).")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    if args.markdown:
        print(variables_table())
    else:
        for name, value in _settings(args).describe().items():
            print(f"{name}={value}")
    return 0


def cmd_check_docx(args: argparse.Namespace) -> int:
    """Report every deviation from GB/T 9704-2012 in .docx files; exit 1 if any file deviates."""
    failed = 0
    measure = args.layout == "on" or (args.layout == "auto" and laid_out.available())
    if args.layout == "auto" and not measure:
        print("版面未测量 (layout not measured): LibreOffice (soffice) is not installed; only properties are checked")
    for path in args.files:
        data = path.read_bytes()
        layout = None
        if measure:
            try:
                layout = laid_out.lay_out(data)
            except laid_out.LayoutUnavailable as error:
                print(f"{path}: 版面未测量 (layout not measured): {error}")
                failed += 1
        deviations = check_docx(data, layout)
        if layout is not None:
            print(f"{path}: 版面由 LibreOffice 排出，测量所用字体 (laid out by LibreOffice with the fonts): "
                  f"{', '.join(sorted(layout.fonts)) or 'none'}; {layout.pages} 页")
        print(f"{path}: {'符合 GB/T 9704-2012 (conformant)' if not deviations else f'{len(deviations)} deviations'}")
        for deviation in deviations:
            print(f"  {deviation}")
        failed += bool(deviations)
    return 1 if failed else 0


def cmd_verify_pdf(args: argparse.Namespace) -> int:
    """Verify every seal signature of PDF files; exit 0 only when every file's seals are all valid."""
    settings = _settings(args)
    roots = list(args.ca or [])
    if not roots:
        # The service's own CA, as `oa serve` left it in the data directory, and any configured further CAs.
        default = settings.data_dir / CA_PEM_FILE
        roots = [default] if default.exists() else []
        if settings.seal_trust_roots:
            roots.append(Path(settings.seal_trust_roots))
    if not roots:
        print(f"oa verify-pdf: no trust root: give --ca CA.pem (no {settings.data_dir / CA_PEM_FILE} yet)",
              file=sys.stderr)
        return 2
    trusted = load_trust_roots(roots)
    failed = 0
    for path in args.files:
        report = verify_pdf(path.read_bytes(), trusted)
        print(summary(str(path), report))
        failed += not report.valid
    print(f"trust roots: {', '.join(str(root) for root in roots)}")
    return 1 if failed else 0


def cmd_audit(args: argparse.Namespace) -> int:
    """`oa audit verify [--unit U]`: walk the audit chains against the latest anchor (exit 1 on any problem);
    `oa audit anchor`: write an anchor of every unit's chain head now."""
    settings = _settings(args)

    async def work(mongo: Mongo, endpoints: Endpoints) -> int:
        configure_audit(mongo, settings.audit_hash)
        anchors = open_anchors(settings, endpoints, mongo)
        if args.action == "anchor":
            written = await anchors.write()
            print(json.dumps(written, ensure_ascii=False) if args.json else
                  f"anchor {written['key']}: {written['units']} units, digest {written['digest']}, "
                  f"{'locked' if written['locked'] else 'UNLOCKED (the store has no object lock)'}"
                  + (f", timestamped {written['timestamped']}" if written["timestamped"] else ""))
            return 0
        report = await verify_chains(mongo, args.unit, await anchors.latest())
        if args.json:
            print(json.dumps(report, ensure_ascii=False, default=str, indent=1))
        else:
            for line in summary_lines(report):
                print(line)
        return 0 if report["ok"] else 1

    return int(_with_database(settings, work, with_endpoints=True))


def _scale(text: str) -> float:
    try:
        scale = float(text)
        check_scale(scale)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc) if "scale" in str(exc) else f"not a number: {text}") from None
    return scale


def _add_demo_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--password", default=DEFAULT_DEMO_PASSWORD,
                         help=f"password of every demo account (default: {DEFAULT_DEMO_PASSWORD})")
    command.add_argument("--scale", type=_scale, default=1.0, metavar="N",
                         help="grow the demo N times in units (1 to 10, default 1): 2 gives ~2,650 units and "
                              "~66,000 people; every account of the normal demo is kept")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oa",
        description="公文流转: the inter-level e-document OA and workflow service. With no OA_MONGODB_URI / "
                    "OA_S3_ENDPOINT it runs its own local database and S3 server under the data directory.",
        epilog="Configuration comes from OA_* environment variables; `oa config --markdown` lists them all.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--data-dir", type=Path, help="data directory (default: $OA_DATA_DIR or ./var)")
        command.set_defaults(func=func)
        return command

    serve = add("serve", "Run the HTTP service (and the embedded servers unless configured otherwise).", cmd_serve)
    serve.add_argument("--host", help="bind address (default: $OA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (default: $OA_PORT or 8800)")
    serve.add_argument("--demo", action="store_true",
                       help="load the Shaoguan demo hierarchy (1,300+ units) first if it is not there yet")
    _add_demo_options(serve)

    demo = add("demo", "Load the Shaoguan demo hierarchy and write the demo accounts to DATA_DIR/demo-users.csv.",
               cmd_demo)
    _add_demo_options(demo)

    imp = add("import-units", "Import units (CSV or JSON) and people, all or nothing; see docs/import-format.md.",
              cmd_import_units)
    imp.add_argument("file", type=Path, help="units file (.csv) or a .json file with units and people")
    imp.add_argument("--people", type=Path, help="people file (.csv, one row per post)")
    imp.add_argument("--dry-run", action="store_true", help="validate and report only; write nothing")

    admin = add("create-admin", "Create a platform-wide administrator (password from $OA_ADMIN_PASSWORD or a prompt).",
                cmd_create_admin)
    admin.add_argument("username", help="login name, e.g. admin")
    admin.add_argument("--display-name", default="系统管理员", help="name shown in the UI (default: 系统管理员)")

    check = add("check-docx", "Check rendered .docx files against the GB/T 9704-2012 layout rules.", cmd_check_docx)
    check.add_argument("files", type=Path, nargs="+", help=".docx files to check")
    check.add_argument("--layout", choices=("auto", "on", "off"), default="auto",
                       help="also check the pages as LibreOffice lays them out (line breaks, pages, distances): "
                            "auto = when LibreOffice is installed (default), on = required, off = properties only")

    verify = add("verify-pdf", "Verify the seal signatures of signed PDF files (exit 0 only if all are valid).",
                 cmd_verify_pdf)
    verify.add_argument("files", type=Path, nargs="+", help="signed PDF files to verify")
    verify.add_argument("--ca", type=Path, action="append", metavar="CA.pem",
                        help="trusted CA certificate(s), PEM; repeatable (default: DATA_DIR/seal-ca.pem, the "
                             "service's own CA, and OA_SEAL_TRUST_ROOTS)")

    audit = add("audit", "The tamper-evident audit: `verify` walks every unit's hash chain (and checks it against the "
                "latest anchor), `anchor` writes an anchor of every chain head now.", cmd_audit)
    audit.add_argument("action", choices=("verify", "anchor"), help="verify the chains, or write an anchor")
    audit.add_argument("--unit", help="verify this unit's chain only (default: every unit)")
    audit.add_argument("--json", action="store_true", help="print the report as JSON")

    add("migrate", "Create the collections and indexes this version needs (run once before serving a new version "
        "on a configured MongoDB; the embedded server is migrated by `oa serve` itself).", cmd_migrate)
    back = add("backup", "Write a consistent snapshot of the database plus the stored files into a new directory.",
               cmd_backup)
    back.add_argument("directory", type=Path, help="where to write the backup (must not exist, or be empty)")
    back.add_argument("--objects", choices=("copy", "manifest"), default="copy",
                      help="copy = the stored files' bytes too (default); manifest = only their keys, sizes and "
                           "SHA-256, for an object store with its own replication and versioning")
    rest = add("restore", "Restore a backup into an empty database and bucket (it refuses any other).", cmd_restore)
    rest.add_argument("directory", type=Path, help="a directory written by oa backup")
    config = add("config", "Show the effective configuration (secrets masked).", cmd_config)
    config.add_argument("--markdown", action="store_true", help="print the table of every variable instead")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Read here, before the settings: a bad setting must be logged in the format asked for.
    logs.configure(os.environ.get("OA_LOG_LEVEL", "INFO"),
                   "json" if os.environ.get("OA_LOG_FORMAT", "").lower() == "json" else "text")
    logging.getLogger("casbin").setLevel(logging.WARNING)
    # pyHanko logs a traceback for every signature whose chain it cannot build; the report says so already.
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    try:
        return int(args.func(args))
    except (ConfigError, EmbeddedServerError, OAError, OSError, SchemaNotReady, ValueError) as exc:
        message = exc.message if isinstance(exc, OAError) else str(exc)
        print(f"oa {args.command}: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

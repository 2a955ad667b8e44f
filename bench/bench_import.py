"""Benchmark: our retailer import beside django-import-export, on the same file, in the same run,
and beside the reference: the bare python-calamine read of that file (`ratio import_vs_read`,
ours ÷ bare read for the slowest step, goal ≤ 2.5).

Writes an N-row (default 100,000), 15-column Chinese retailer sheet, then for each engine, on an
empty retailers table (service areas kept), times:

  (a) dry run into the empty table       ours: import_job_check     theirs: read + import_data(dry_run=True)
  (b) import into the empty table        ours: import_job_apply     theirs: read + import_data(dry_run=False)
  (d) dry run against the full table     ours: import_job_check     theirs: read + import_data(dry_run=True)
  (c) re-import of the same file         ours: import_job_apply     theirs: read + import_data(dry_run=False)

(d) is the check an admin runs before (c) in our UI. Ours is driven through the job API only
(ImportJob + import_job_check / import_job_apply), so the figures hold while its internals change;
both engines read the file themselves in every step. Every step runs in a child process of its
own, so its peak memory (ru_maxrss) is its own. Afterwards both engines must have left the same
data: N retailers, N history rows, the same fields on sample rows.

django-import-export lives only in the benchmark's virtualenv:

    bash bench/setup_import_bench.sh
    DATABASE_URL=sqlite:////tmp/bench_import.sqlite3 bench/.venv-import/bin/python bench/bench_import.py 100000
    createdb -h 127.0.0.1 -U postgres crm_bench_import
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_import bench/.venv-import/bin/python bench/bench_import.py

The database is migrated, and seeded (seed_demo, 50 retailers) when it has no service areas; the
seeded retailers and what hangs off them are then removed, so the imports start on an empty table.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(1, str(BENCH_DIR))  # dje_resources
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.common import load_average, print_ratio  # noqa: E402

# The template's headers, written out here (not taken from our importer's internals, which change).
HEADERS = (
    "许可证号", "店名", "负责人", "电话", "经营地址", "许可证有效期至", "许可证发证日期", "业态", "市场类型", "商圈",
    "营销片区", "状态", "信用等级", "统一社会信用代码", "建档日期",
)  # fmt: skip
LICENCE_PREFIX = "3399"
JOB_NAME_PREFIX = "bench-import-"
ENGINES = {"ours": "ours", "dje": "django-import-export", "dje_tuned": "django-import-export tuned"}
RESOURCES = {"dje": "RetailerResource", "dje_tuned": "TunedRetailerResource"}  # in dje_resources.py
STEPS = (
    ("dry_run_empty", "(a) dry run, empty table"),
    ("import", "(b) import into the empty table"),
    ("dry_run_full", "(d) dry run, full table (all unchanged)"),
    ("reimport", "(c) re-import, nothing changes"),
)
COMPARED_FIELDS = (
    "license_no", "name", "owner_name", "phone", "address", "license_expires_on", "license_issued_on",
    "business_type", "market_type", "zone_type", "service_area_id", "status", "credit_level", "credit_code",
    "partner_since", "phone_alt", "order_weekday", "tier", "stars", "name_pinyin", "name_initials", "owner_pinyin",
    "owner_initials",
)  # fmt: skip


def sheet_row(i: int, areas: list[str]) -> list[str]:
    return [
        f"{LICENCE_PREFIX}{i:08d}", f"测试{i % 977}便利店", "张三", f"139{i:08d}", f"中山路{i}号", "2030-06-30",
        "2025/7/1", "便利店", "城镇", "居民区", areas[i % len(areas)], "正常", "A", "", "2019年3月1日",
    ]  # fmt: skip


def write_sheet(path: str, n: int, areas: list[str]) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    for i in range(n):
        sheet.write_row(i + 1, 0, sheet_row(i, areas))
    workbook.close()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


# --- the child: one step of one engine -------------------------------------------------------


def _ours_step(step: str, args) -> dict:
    from django.core.files import File

    from crm_site.models import User
    from retailers.import_jobs import import_job_apply, import_job_check, import_job_message
    from retailers.models import ImportJob

    admin = User.objects.get(pk=args.admin)
    if step.startswith("dry_run"):
        with open(args.sheet, "rb") as handle:
            job = ImportJob.objects.create(
                kind="retailers",
                file=File(handle, name=f"{JOB_NAME_PREFIX}{args.n}.xlsx"),
                original_name=f"{JOB_NAME_PREFIX}{args.n}.xlsx",
                created_by=admin,
                status=ImportJob.Status.CHECKING,
            )
        baseline = peak_mb()
        started = time.perf_counter()
        import_job_check(job_id=job.pk)
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        if job.status != ImportJob.Status.CHECKED or job.rows_invalid:
            first = next((row for row in job.preview if row.get("errors")), None)
            raise SystemExit(
                f"ours refused the file: {job.status} {import_job_message(job)} {job.rows_invalid} invalid; {first}"
            )
        counts = {"new": job.to_create, "update": job.to_update, "unchanged": job.unchanged}
        return {"seconds": seconds, "baseline_mb": baseline, "job": job.pk, "counts": counts, "rows": job.rows_read}
    job = ImportJob.objects.get(pk=args.job)
    job.status = ImportJob.Status.IMPORTING
    job.mode = ImportJob.Mode.ALL_OR_NOTHING
    job.save()
    baseline = peak_mb()
    started = time.perf_counter()
    import_job_apply(job_id=job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != ImportJob.Status.SUCCEEDED:
        raise SystemExit(f"ours did not import: {job.status} {import_job_message(job)}")
    counts = {"new": job.created, "update": job.updated, "unchanged": job.unchanged}
    return {"seconds": seconds, "baseline_mb": baseline, "job": job.pk, "counts": counts, "rows": args.n}


def _first_dje_error(result) -> str:
    if result.base_errors:
        error = result.base_errors[0]
        return f"{error.error!r}\n{error.traceback}"
    for number, errors in result.row_errors():
        return f"row {number}: {errors[0].error!r}\n{errors[0].traceback}"
    for row in result.invalid_rows:
        return f"row {row.number}: {row.error_dict}"
    return ""


def _dje_step(step: str, args) -> dict:
    import dje_resources
    import tablib

    from crm_site.models import User

    resource = getattr(dje_resources, RESOURCES[args.engine])()
    admin = User.objects.get(pk=args.admin)
    baseline = peak_mb()
    started = time.perf_counter()
    # As the docs read an xlsx (and as the admin's XLSX format does): openpyxl in read-only mode.
    dataset = tablib.Dataset().load(Path(args.sheet).read_bytes(), format="xlsx")
    read = time.perf_counter() - started
    result = resource.import_data(dataset, dry_run=step.startswith("dry_run"), user=admin)
    seconds = time.perf_counter() - started
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit(f"django-import-export refused the file: {_first_dje_error(result)}")
    counts = {"new": result.totals["new"], "update": result.totals["update"], "unchanged": result.totals["skip"]}
    return {"seconds": seconds, "read": read, "baseline_mb": baseline, "counts": counts, "rows": len(dataset)}


def _bare_read(step: str, args) -> dict:
    """The reference: python-calamine reads the sheet into Python rows, nothing else."""
    from python_calamine import CalamineWorkbook

    baseline = peak_mb()
    started = time.perf_counter()
    rows = CalamineWorkbook.from_path(args.sheet).get_sheet_by_index(0).to_python()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "baseline_mb": baseline, "counts": {}, "rows": len(rows) - 1}


def child(args) -> None:
    settings.MEDIA_ROOT = args.media  # before any file is stored
    steps = {"ours": _ours_step, "read": _bare_read}
    outcome = steps.get(args.engine, _dje_step)(args.step, args)
    outcome["peak_mb"] = peak_mb()
    print("RESULT " + json.dumps(outcome), flush=True)


# --- the parent: data, order of the steps, checks, report ------------------------------------


def run_child(engine: str, step: str, common: list[str], job: int | None = None) -> dict:
    command = [sys.executable, __file__, "--child", engine, step, *common]
    if job is not None:
        command += ["--job", str(job)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        sys.stdout.write(done.stdout)
        raise SystemExit(f"{ENGINES[engine]} {step}: the child process failed (exit {done.returncode})")
    return json.loads(lines[-1].removeprefix("RESULT "))


def _wipe(model, alias: str, done: set) -> None:
    """Raw-delete every row of model and, first, of every model that points at it."""
    if model in done:
        return
    done.add(model)
    # Hidden relations too (related_name="+", as the analytics summaries use): related_objects skips them.
    relations = [
        field
        for field in model._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one or field.many_to_many)
    ]
    for relation in relations:
        if relation.many_to_many:
            relation.through._base_manager.all()._raw_delete(alias)
        else:
            _wipe(relation.related_model, alias, done)
    for field in model._meta.many_to_many:
        field.remote_field.through._base_manager.all()._raw_delete(alias)
    model._base_manager.all()._raw_delete(alias)


def empty_retailers(*, wipe_any: bool) -> None:
    """An empty retailers table: the demo shops seeded for their service areas go, with every row
    that hangs off them (orders, compliance, history …); areas, products and users stay."""
    from retailers.models import HistoricalRetailer, Retailer

    others = Retailer.objects.exclude(license_no__startswith=LICENCE_PREFIX).count()
    if others > 1000 and not wipe_any:
        raise SystemExit(f"{others:,} retailers are already here: use an empty database, or pass --wipe")
    if os.environ.get("DJANGO_ENV") == "production":
        raise SystemExit("not on a production database")
    with transaction.atomic():
        _wipe(Retailer, connection.alias, set())
        HistoricalRetailer.objects.all()._raw_delete(connection.alias)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Retailer._meta.db_table}")
            cursor.execute(f"VACUUM ANALYZE {HistoricalRetailer._meta.db_table}")


def left_behind(samples: list[str]) -> dict:
    from retailers.models import HistoricalRetailer, Retailer

    history = HistoricalRetailer.objects.filter(license_no__in=samples).values_list(
        "license_no", "history_type", "change_source", "history_user_id"
    )
    return {
        "retailers": Retailer.objects.count(),
        "history": HistoricalRetailer.objects.count(),
        "rows": {
            row["license_no"]: {key: str(value) for key, value in row.items()}
            for row in Retailer.objects.filter(license_no__in=samples).values(*COMPARED_FIELDS)
        },
        "sample_history": sorted(history),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, nargs="?", help="rows in the sheet (default 100,000)")
    parser.add_argument("--retailers", type=int, help="the same, named as every benchmark names it")
    parser.add_argument("--engines", default="ours,dje,dje_tuned", help="comma-separated: ours, dje, dje_tuned")
    parser.add_argument("--wipe", action="store_true", help="empty a retailers table holding more than 1,000 shops")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "STEP"), help=argparse.SUPPRESS)
    parser.add_argument("--sheet", help=argparse.SUPPRESS)
    parser.add_argument("--media", help=argparse.SUPPRESS)
    parser.add_argument("--admin", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--job", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.n = args.n or args.retailers or 100_000
    if args.child:
        args.engine, args.step = args.child
        child(args)
        return

    from django.core.management import call_command

    from crm_site.models import User
    from retailers.models import ImportJob, ServiceArea

    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    if any(engine not in ENGINES for engine in engines):
        raise SystemExit(f"--engines takes {', '.join(ENGINES)}")
    dje_version = ""
    for engine in set(engines) & set(RESOURCES):
        import dje_resources
        import import_export

        resource = getattr(dje_resources, RESOURCES[engine])()
        columns = tuple(field.column_name for field in resource.get_import_fields())
        assert columns == HEADERS, columns
        dje_version = f", django-import-export {import_export.__version__}"
    n = args.n
    vendor = connection.vendor
    call_command("migrate", verbosity=0)
    if not ServiceArea.objects.exists():
        call_command("seed_demo", retailers=50, months=1, stdout=io.StringIO())
    admin = User.objects.filter(username="admin").first() or User.objects.filter(is_superuser=True).first()
    if admin is None:
        raise SystemExit("no admin user: run `manage.py seed_demo` once")
    ImportJob.objects.filter(
        original_name__startswith=JOB_NAME_PREFIX, status__in=[ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING]
    ).update(status=ImportJob.Status.FAILED, text="left over by an interrupted benchmark")
    empty_retailers(wipe_any=args.wipe)

    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    sheet = str(folder / "retailers.xlsx")
    areas = list(ServiceArea.objects.values_list("code", flat=True))
    started = time.perf_counter()
    write_sheet(sheet, n, areas)
    print(
        f"{vendor}: {n:,}-row sheet written in {time.perf_counter() - started:.1f} s "
        f"({Path(sheet).stat().st_size / 1e6:.1f} MB, {len(areas)} service areas); python {sys.version.split()[0]}, "
        f"django {django.get_version()}{dje_version}"
    )
    common = [str(n), "--sheet", sheet, "--media", str(folder / "media"), "--admin", str(admin.pk)]
    samples = [f"{LICENCE_PREFIX}{i:08d}" for i in sorted({0, n // 2, n - 1})]
    expected = {
        "dry_run_empty": {"new": n, "update": 0, "unchanged": 0},
        "import": {"new": n, "update": 0, "unchanged": 0},
        "dry_run_full": {"new": 0, "update": 0, "unchanged": n},
        "reimport": {"new": 0, "update": 0, "unchanged": n},
    }
    figures: dict[str, dict[str, dict]] = {}
    state: dict[str, dict] = {}
    reads: list[float] = []
    try:
        for _ in range(3):  # the reference, in a child process like every step; its median is used
            reads.append(run_child("read", "read", common)["seconds"])
        print(f"  bare python-calamine read of the sheet: {sorted(reads)[1]:.2f} s (median of 3); {load_average()}")
        for engine in engines:
            figures[engine] = {}
            job = None
            for step, label in STEPS:
                outcome = run_child(engine, step, common, job=job)
                job = outcome.get("job")
                figures[engine][step] = outcome
                read = f" (read {outcome['read']:.1f} s)" if "read" in outcome else ""
                print(
                    f"  {ENGINES[engine]:<21} {label:<40} {outcome['seconds']:7.1f} s{read} "
                    f"{n / outcome['seconds']:>9,.0f} rows/s  peak {outcome['peak_mb']:5.0f} MB "
                    f"(process before the step {outcome['baseline_mb']:.0f} MB)  {outcome['counts']}",
                    flush=True,
                )
                if outcome["counts"] != expected[step] or outcome["rows"] != n:
                    raise SystemExit(f"{ENGINES[engine]} {step}: expected {expected[step]}, got {outcome['counts']}")
            state[engine] = left_behind(samples)
            empty_retailers(wipe_any=True)
    finally:
        ImportJob.objects.filter(original_name__startswith=JOB_NAME_PREFIX).delete()
        shutil.rmtree(folder, ignore_errors=True)

    for engine, left in state.items():
        if left["retailers"] != n or left["history"] != n:
            left_over = f"{left['retailers']:,} retailers, {left['history']:,} history rows"
            raise SystemExit(f"{ENGINES[engine]} left {left_over}, not {n:,} of each")
    first, *others = engines
    for engine in others:
        for licence in samples:
            a, b = state[first]["rows"][licence], state[engine]["rows"][licence]
            differ = {key: (a[key], b[key]) for key in a if a[key] != b[key]}
            if differ:
                raise SystemExit(f"{ENGINES[first]} and {ENGINES[engine]} left different data for {licence}: {differ}")
        if state[first]["sample_history"] != state[engine]["sample_history"]:
            histories = f"{state[first]['sample_history']} / {state[engine]['sample_history']}"
            raise SystemExit(f"{ENGINES[first]} and {ENGINES[engine]} left different history rows: {histories}")
    if others:
        print(f"same data: {n:,} retailers and {n:,} history rows each; sample rows {', '.join(samples)} identical")

    print(f"\n{vendor}, {n:,} rows | " + " | ".join(f"{ENGINES[e]} s, rows/s, peak MB" for e in engines))
    for step, label in STEPS:
        cells = []
        for engine in engines:
            outcome = figures[engine][step]
            cells.append(f"{outcome['seconds']:.1f} s, {n / outcome['seconds']:,.0f}/s, {outcome['peak_mb']:.0f} MB")
        if "ours" in engines:
            cells += [
                f"ours/{engine} {figures[engine][step]['seconds'] / figures['ours'][step]['seconds']:.1f}x"
                for engine in engines
                if engine != "ours"
            ]
        print(f"{label} | " + " | ".join(cells))
    if "ours" in engines:
        read = sorted(reads)[1]
        by_step = {label: figures["ours"][step]["seconds"] / read for step, label in STEPS}
        print(f"\nours ÷ bare calamine read ({read:.2f} s): " + "; ".join(f"{k} {v:.1f}" for k, v in by_step.items()))
        print(load_average())
        print_ratio("import_vs_read", max(by_step.values()), goal="≤ 2.5")


if __name__ == "__main__":
    main()

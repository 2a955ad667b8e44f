"""Fast set-based loading of many rows: COPY on PostgreSQL, executemany in chunks elsewhere.

Used by the demo seeder, grading runs and imports; callers hand over plain tuples (already
validated), never ORM objects, and run it inside their own transaction.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import DatabaseError, connection
from django.db.models import NOT_PROVIDED, UniqueConstraint
from django.utils import timezone

CHUNK = 20_000
logger = logging.getLogger(__name__)


def statistics_refresh(table: str) -> None:
    """PostgreSQL: fresh planner statistics for a table just filled or rewritten in bulk, in the
    writing transaction. Without them the next statements are planned on the table as it was (a
    scratch table as a few hundred rows, an emptied summary as empty): nested loops over millions
    of rows instead of hash joins. SQLite plans these statements well without statistics."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def vacuumed(*models) -> bool:
    """PostgreSQL, after a bulk write has committed (outside any transaction): VACUUM (ANALYZE)
    the tables of `models`, so that the next statements find no dead rows to wade through and
    rows already marked visible to all (a table filled with millions of rows otherwise has each
    page's hint bits written, and its heap read for every index probe, by whichever statement reads
    it first). A table with nothing to do is skipped page by page. Inside a transaction (the
    tests) it cannot run, and is left to autovacuum; a failure is logged, not raised (the write
    has committed). Returns whether it ran."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    try:
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
    except DatabaseError:
        logger.warning("VACUUM of %s failed", ", ".join(model._meta.db_table for model in models), exc_info=True)
        return False
    return True


@contextmanager
def indexes_deferred(*models, unique_keys: bool = False) -> Iterator[None]:
    """Load into the tables of `models` without their Meta indexes (and, on PostgreSQL, without
    their foreign keys, and with `unique_keys` without their Meta unique constraints too), and
    build them again at the end, each in one sorted pass, in the caller's transaction. (SQLite
    keeps a unique constraint: it is part of the table there.)

    For loads of millions of rows into tables that start empty or nearly so (the demo seeder):
    an index kept during the load is updated row by row in random order (a shop-first index of
    orders written week by week), and PostgreSQL queues one deferred foreign-key check per row
    until commit; one CREATE INDEX and one ALTER TABLE … ADD CONSTRAINT (a single join) are far
    cheaper. Run it inside transaction.atomic(): on an error nothing of the load or the rebuild
    stays, and the indexes come back with the rollback."""
    editor = connection.SchemaEditorClass(connection)  # only used to write the SQL, never entered
    editor.deferred_sql = []
    foreign_keys: list[tuple[str, str, str]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Rows written earlier in the transaction have deferred checks queued on the tables
            # involved, and PostgreSQL alters no table with pending trigger events: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in models:
            for index in model._meta.indexes:
                cursor.execute(str(index.remove_sql(model, editor)))
            for constraint in _unique_keys(model) if unique_keys else ():
                cursor.execute(str(constraint.remove_sql(model, editor)))
            if connection.vendor == "postgresql":
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    quoted = connection.ops.quote_name
                    cursor.execute(f"ALTER TABLE {quoted(table)} DROP CONSTRAINT {quoted(name)}")
                    foreign_keys.append((table, name, definition))
    yield
    with connection.cursor() as cursor:
        for model in models:
            for constraint in _unique_keys(model) if unique_keys else ():
                cursor.execute(str(constraint.create_sql(model, editor)))
            for index in model._meta.indexes:
                cursor.execute(str(index.create_sql(model, editor)))
        for table, name, definition in foreign_keys:
            quoted = connection.ops.quote_name
            cursor.execute(f"ALTER TABLE {quoted(table)} ADD CONSTRAINT {quoted(name)} {definition}")


def _unique_keys(model) -> list[UniqueConstraint]:
    """The model's plain unique constraints that PostgreSQL can drop and add again (none on SQLite)."""
    if connection.vendor != "postgresql":
        return []
    return [
        constraint
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint) and constraint.fields and constraint.condition is None
    ]


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` into `table` and return how many were written."""
    quoted_table = connection.ops.quote_name(table)
    quoted_columns = ", ".join(connection.ops.quote_name(column) for column in columns)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quoted_table} ({quoted_columns}) FROM STDIN") as copy:
                buffer = io.StringIO()
                for row in rows:
                    buffer.write("\t".join(_copy_text(value) for value in row))
                    buffer.write("\n")
                    written += 1
                    if written % CHUNK == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
            return written
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {quoted_table} ({quoted_columns}) VALUES ({placeholders})"  # noqa: S608
        chunk: list[Sequence] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                cursor.executemany(sql, chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            written += len(chunk)
    return written


def insert_frame(table: str, frame) -> int:
    """Insert a pandas DataFrame whose columns are the table's columns (values already in
    database form: numbers, ISO date strings, None). COPY from a vectorised CSV dump on
    PostgreSQL; executemany over plain tuples elsewhere."""
    if frame.empty:
        return 0
    if connection.vendor == "postgresql":
        quoted_table = connection.ops.quote_name(table)
        quoted_columns = ", ".join(connection.ops.quote_name(column) for column in frame.columns)
        sql = f"COPY {quoted_table} ({quoted_columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        from psycopg.copy import QueuedLibpqWriter

        # One COPY; a writer thread sends each chunk while the next one is turned into CSV.
        with connection.cursor() as cursor, cursor.cursor.copy(sql, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
            for start in range(0, len(frame), CHUNK * 2):
                copy.write(frame.iloc[start : start + CHUNK * 2].to_csv(header=False, index=False, na_rep=r"\N"))
        return len(frame)
    columns = [frame[column].tolist() for column in frame.columns]  # plain Python values, column at a time
    return insert_rows(table, list(frame.columns), zip(*columns, strict=True))


def db_form(model, frame):
    """A copy of `frame` (columns named by field attname, Python values) in the form the loaders
    write: ISO dates, decimals and datetimes as text, None for missing values. Values are
    converted once per distinct value, not once per cell."""
    out = frame.copy()
    for column in out.columns:
        kind = model._meta.get_field(column).get_internal_type()
        values = out[column].astype(object)
        present = values.notna()
        if kind in ("DateField", "DecimalField", "DateTimeField"):
            as_text = (lambda v: v.isoformat()) if kind == "DateField" else str
            values = values.map({value: as_text(value) for value in values[present].unique()})
        out[column] = values.where(present, None)
    return out


def _default(field, now):
    """A new row's value for a field the loader was not given: the Python default, else the
    database default, else now for auto dates, else NULL or ''."""
    if field.has_default():
        return field.get_default()
    if field.db_default is not NOT_PROVIDED:
        return getattr(field.db_default, "value", field.db_default)
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return None if field.null else ""


def with_defaults(model, frame, *, now):
    """`frame` completed with every other concrete column of the model, and its empty cells in
    columns that take no NULL, at the field's default."""
    out = frame.copy()
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.attname not in out.columns:
            out[field.attname] = [_default(field, now)] * len(out)
        elif not field.null:
            column = out[field.attname].astype(object)
            out[field.attname] = column.where(column.notna(), _default(field, now))
    return out


def update_frame(table: str, frame) -> int:
    """Update the rows whose `id` is in the frame: each other column is set to the frame's value
    where that is not NULL (a NULL keeps what the row has). Set-based: COPY into a temporary
    table and one UPDATE … FROM on PostgreSQL, executemany elsewhere."""
    if frame.empty:
        return 0
    quote = connection.ops.quote_name
    columns = [column for column in frame.columns if column != "id"]
    if connection.vendor == "postgresql":
        scratch = f"_update_{table}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {quote(scratch)} AS SELECT id, {', '.join(map(quote, columns))} "  # noqa: S608
                f"FROM {quote(table)} WITH NO DATA"
            )
            insert_frame(scratch, frame[["id", *columns]])
            assignments = ", ".join(f"{quote(c)} = COALESCE(u.{quote(c)}, t.{quote(c)})" for c in columns)
            cursor.execute(
                f"UPDATE {quote(table)} AS t SET {assignments} FROM {quote(scratch)} AS u WHERE t.id = u.id"  # noqa: S608
            )
            cursor.execute(f"DROP TABLE {quote(scratch)}")
        return len(frame)
    assignments = ", ".join(f"{quote(c)} = COALESCE(%s, {quote(c)})" for c in columns)
    values = [frame[column].tolist() for column in [*columns, "id"]]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {quote(table)} SET {assignments} WHERE id = %s", list(zip(*values, strict=True)))  # noqa: S608
    return len(frame)


def delete_where_in(table: str, column: str, ids: Sequence[int]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            chunk = list(ids[start : start + 5000])
            cursor.execute(
                f"DELETE FROM {quote(table)} WHERE {quote(column)} IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
                chunk,
            )


def history_insert(model, *, ids: Sequence[int] | None, history_type: str, user=None, **extra) -> None:
    """One django-simple-history row per record, written set-based from the table (bulk loads
    bypass save()): for the given ids in chunks, or for every record when ids is None. `extra`
    fills the history model's own columns (e.g. change_source)."""
    history = model.history.model
    own = {field.attname for field in model._meta.fields}
    tracked = [field.attname for field in history._meta.fields if field.attname in own]
    quote = connection.ops.quote_name
    columns = ", ".join(map(quote, tracked))
    names = ["history_date", "history_type", "history_user_id", *extra]
    insert = (
        f"INSERT INTO {quote(history._meta.db_table)} ({columns}, {', '.join(map(quote, names))}) "  # noqa: S608
        f"SELECT {columns}, {', '.join(['%s'] * len(names))} FROM {quote(model._meta.db_table)}"
    )
    params = [timezone.now(), history_type, getattr(user, "pk", None), *extra.values()]
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(insert, params)
            return
        ids = list(ids)
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            cursor.execute(f"{insert} WHERE id IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])

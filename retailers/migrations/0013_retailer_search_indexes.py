"""The search indexes of the retailer list (retailers.selectors.retailers_matching).

- B-tree indexes on the pinyin and initials of the owner and the shop and on the second phone,
  so that every prefix test of a search is an index range scan (the shop's initials had one).
- A trigram index on shop name and owner for substring tests of 3 characters or more: on
  PostgreSQL two GIN indexes (pg_trgm); on SQLite an FTS5 table with the trigram tokenizer,
  external content over retailers_retailer, kept in step by triggers (so bulk loaders need no
  code of their own). On SQLite a later migration that rebuilds retailers_retailer (an AlterField
  does) drops those triggers with the old table: re-create them in that migration (the tests of
  retailers.tests.test_search fail otherwise).
"""

from django.db import migrations, models

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE retailers_retailer_search USING fts5("
    "name, owner_name, content='retailers_retailer', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER retailers_retailer_search_insert AFTER INSERT ON retailers_retailer BEGIN "
    "INSERT INTO retailers_retailer_search (rowid, name, owner_name) VALUES (new.id, new.name, new.owner_name); END",
    "CREATE TRIGGER retailers_retailer_search_delete AFTER DELETE ON retailers_retailer BEGIN "
    "INSERT INTO retailers_retailer_search (retailers_retailer_search, rowid, name, owner_name) "
    "VALUES ('delete', old.id, old.name, old.owner_name); END",
    "CREATE TRIGGER retailers_retailer_search_update AFTER UPDATE OF name, owner_name ON retailers_retailer BEGIN "
    "INSERT INTO retailers_retailer_search (retailers_retailer_search, rowid, name, owner_name) "
    "VALUES ('delete', old.id, old.name, old.owner_name); "
    "INSERT INTO retailers_retailer_search (rowid, name, owner_name) VALUES (new.id, new.name, new.owner_name); END",
    "INSERT INTO retailers_retailer_search (retailers_retailer_search) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER retailers_retailer_search_insert",
    "DROP TRIGGER retailers_retailer_search_delete",
    "DROP TRIGGER retailers_retailer_search_update",
    "DROP TABLE retailers_retailer_search",
]
POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX retailer_name_trigram ON retailers_retailer USING gin (name gin_trgm_ops)",
    "CREATE INDEX retailer_owner_trigram ON retailers_retailer USING gin (owner_name gin_trgm_ops)",
]
POSTGRESQL_BACKWARD = ["DROP INDEX retailer_name_trigram", "DROP INDEX retailer_owner_trigram"]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("retailers", "0012_history_without_unread_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="retailer",
            index=models.Index(fields=["name_pinyin"], name="retailer_name_pinyin"),
        ),
        migrations.AddIndex(
            model_name="retailer",
            index=models.Index(fields=["owner_initials"], name="retailer_owner_initials"),
        ),
        migrations.AddIndex(
            model_name="retailer",
            index=models.Index(fields=["owner_pinyin"], name="retailer_owner_pinyin"),
        ),
        migrations.AddIndex(
            model_name="retailer",
            index=models.Index(fields=["phone_alt"], name="retailer_phone_alt"),
        ),
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        ),
    ]

"""The retailer search (retailers_matching): what each kind of term finds, the trigram index kept
in step with the shops, and every part of a search served by an index (issue 16)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm_site.roles import Role
from retailers.models import Retailer
from retailers.selectors import retailers_matching
from retailers.services import retailer_update
from retailers.tests.factories import RetailerFactory

pytestmark = pytest.mark.django_db


def found(term: str, **options) -> set[str]:
    return set(retailers_matching(Retailer.objects.all(), term, **options).values_list("name", flat=True))


@pytest.fixture
def shops(prefecture):
    area = prefecture["areas"]["a"]
    RetailerFactory(service_area=area, name="欧阳烟酒商行", owner_name="欧阳建华", phone="13800001111")
    RetailerFactory(service_area=area, name="KK便利店", owner_name="赵敏")
    RetailerFactory(service_area=area, name="超市A1", owner_name="钱多多")
    return prefecture["shops"]


@pytest.mark.parametrize(
    ("term", "names"),
    [
        ("记便利", {"王记便利店"}),  # 3 characters or more: anywhere in the name (trigram index)
        ("烟酒商", {"欧阳烟酒商行"}),
        ("阳建华", {"欧阳烟酒商行"}),  # … or in the owner's name
        ("便利店", {"王记便利店", "KK便利店"}),
        ("便利", {"王记便利店", "KK便利店"}),  # shorter, with a Chinese character: still anywhere
        ("建华", {"欧阳烟酒商行"}),
        ("酒", {"欧阳烟酒商行", "张老烟酒店"}),
        ("oy", {"欧阳烟酒商行"}),  # shorter, Latin only: initials and pinyin from their start
        ("kk", {"KK便利店"}),  # the pinyin keys keep Latin letters, so a name starting with them is found
        ("a1", set()),  # … but not inside a name: "超市A1" is found by "超市" or "cs"
        ("cs", {"超市A1"}),
        ("ouyang", {"欧阳烟酒商行"}),
        ("zm", {"KK便利店"}),  # the owner's initials
        ("3201", {"王记便利店", "李家超市", "张老烟酒店", "欧阳烟酒商行", "KK便利店", "超市A1"}),  # licence prefix
        ("1380000", {"欧阳烟酒商行"}),  # phone prefix (4 digits or more)
    ],
)
def test_what_a_term_finds(shops, term, names):
    assert found(term) == names


def test_a_phone_is_not_searched_for_users_who_see_masked_phones(shops):
    assert found("1380000", by_phone=False) == set()


def test_the_substring_index_follows_renames_and_deletions(shops, users):
    shop = shops["a"]
    retailer_update(retailer=shop, data={"name": "王记烟杂店"}, changed_by=users[Role.ADMIN])
    assert found("记便利") == set()
    assert found("记烟杂") == {"王记烟杂店"}
    Retailer.objects.filter(pk=shop.pk).update(owner_name="王大海")  # a bulk write, as imports do
    assert found("王大海") == {"王记烟杂店"}
    shops["b"].delete()
    assert found("李家超") == set()


@pytest.mark.parametrize("term", ["a\U0010ffff", "a\ud7ff", '"便利"', '便利" OR 王', "%_\\"])
def test_odd_terms_are_searched_as_typed(shops, term):
    assert found(term) == set()


def explained(term: str) -> str:
    sql, params = retailers_matching(Retailer.objects.all(), term).order_by("name", "pk")[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        else:
            # A near-empty test table is cheapest to scan, or to read in name order: forbid both,
            # and a part of the search that no index serves still shows as a scan of the table.
            for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize("term", ["wj", "wangji", "王记便利", "1391234", "320102"])
def test_every_part_of_a_search_is_served_by_an_index(shops, term):
    plan = explained(term)
    if connection.vendor == "sqlite":
        assert "MULTI-INDEX OR" in plan
        assert "SCAN retailers_retailer\n" not in plan + "\n" and "SCAN retailers_retailer USING" not in plan
    else:
        assert "BitmapOr" in plan
        assert "Seq Scan on retailers_retailer" not in plan
    if len(term) >= 3 and not term.isascii():
        assert ("retailers_retailer_search" if connection.vendor == "sqlite" else "retailer_name_trigram") in plan


def test_a_search_reads_no_more_queries_than_the_list(client_for, users, shops):
    client = client_for(users[Role.ADMIN])
    client.get("/retailers/")  # warm the session and permission caches
    counts = set()
    for term in ("", "wj", "记便利", "便利", "13912345678"):
        with CaptureQueriesContext(connection) as queries:
            client.get("/retailers/", {"q": term})
        counts.add(len(queries))
    assert len(counts) == 1

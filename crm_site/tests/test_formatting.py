from datetime import timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from crm_site.formatting import format_count, format_duration, format_money, format_share


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_counts_and_money_carry_thousands_separators_in_both_languages(language):
    with translation.override(language):
        assert format_count(1234567) == "1,234,567"
        assert format_money(Decimal("12345.6")) == "12,345.60"
        assert format_money(12345.6, 0) == "12,346"
        assert format_share(0.1234) == "12.3%"
        assert format_share(None) == "—"
        # Django's own filters read the same format modules.
        rendered = Template("{% load humanize %}{{ n|intcomma }} {{ x|floatformat:'2g' }}").render(
            Context({"n": 1234567, "x": 9876.5})
        )
        assert rendered == "1,234,567 9,876.50"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_whole_count_reads_as_number_format_writes_it(language):
    from django.utils.formats import number_format

    with translation.override(language):
        for value in (0, 7, 999, 1000, -1000, 123456, -9876543, 10**12):
            assert format_count(value) == number_format(value, 0, use_l10n=True, force_grouping=True)
        assert format_count(Decimal("1234.5")) == "1,235" and format_count(2.5) == "3"  # rounded half up


def test_durations_read_in_words_never_as_a_timedelta():
    with translation.override("zh-hans"):
        assert format_duration(timedelta(seconds=17.337745)) == "17秒"
        assert format_duration(timedelta(hours=2, minutes=15, seconds=9)) == "2小时15分"
        assert format_duration(timedelta(days=3, hours=4, minutes=1)) == "3天4小时"
        assert format_duration(timedelta(days=2)) == "2天"
        assert format_duration(timedelta(minutes=30)) == "30分钟"  # "30分" alone would read as points
        assert format_duration(0) == "0秒"
        assert format_duration(None) == "—"
    with translation.override("en"):
        assert format_duration(timedelta(hours=2, minutes=15)) == "2 h 15 min"
        assert format_duration(5400) == "1 h 30 min"
        assert format_duration(1800) == "30 min"


def test_template_filters_format_the_same_way():
    template = Template("{% load crm_tags %}{{ n|count }}|{{ m|money }}|{{ s|share }}|{{ d|duration }}")
    with translation.override("zh-hans"):
        out = template.render(Context({"n": 30000, "m": 1500, "s": 0.5, "d": timedelta(minutes=135)}))
    assert out == "30,000|1,500.00|50.0%|2小时15分"

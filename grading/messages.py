"""What a grading run's note says, said in the reader's language when shown (see
crm_site.stored_messages). Imported by GradingConfig.ready()."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from crm_site import stored_messages as sm
from crm_site.formatting import format_list
from retailers.models import ComplianceKind, Tier


@dataclass(frozen=True)
class _RuleFields:
    """Names of AllocationRuleSet fields, kept as names and said as their labels in the reader's language."""

    def store(self, value) -> str:
        return ",".join(value)

    def show(self, stored) -> str:
        from grading.models import AllocationRuleSet

        labels = {
            field.name: field.verbose_name
            for field in AllocationRuleSet._meta.get_fields()
            if hasattr(field, "verbose_name")
        }
        return format_list(labels.get(name, name) for name in str(stored).split(",") if name)


RULE_FIELDS = _RuleFields()

SPLIT_AS_TARGETED = sm.register("grading.split_as_targeted", _("Split as targeted."))
SPLIT_OFF = sm.register(
    "grading.split_off",
    _(
        "Overrides push the split outside the tolerance: %(key)s key accounts against a target of "
        "%(key_target)s, %(special)s special accounts against %(special_target)s."
    ),
    key=sm.COUNT,
    key_target=sm.COUNT,
    special=sm.COUNT,
    special_target=sm.COUNT,
)
FAILED = sm.register("grading.failed", _("The run failed: %(error)s"), error=sm.TEXT)
NOT_QUEUED = sm.register(
    "grading.not_queued", _("The run could not be queued (is the task queue running?): %(error)s"), error=sm.TEXT
)
ABANDONED = sm.register("grading.abandoned", _("Abandoned: no progress for %(hours)s hours."), hours=sm.COUNT)

# An allocation line's explanation (grading.selectors.line_explanation says it from the line's
# columns, one sentence per step) and a correction's changes (stored on the Allocation).

ALLOC_EXCLUDED_INACTIVE = sm.register(
    "grading.alloc.excluded.inactive", _("Excluded: the shop is not active, so it gets nothing.")
)
ALLOC_EXCLUDED_LICENCE = sm.register(
    "grading.alloc.excluded.licence",
    _("Excluded: the licence expires on %(date)s, before the period ends, so the shop gets nothing."),
    date=sm.TEXT,
)
ALLOC_EXCLUDED_COMPLIANCE = sm.register(
    "grading.alloc.excluded.compliance",
    _(
        "Excluded: a finding of “%(kind)s” on %(date)s, within the months the rules look back, "
        "so the shop gets nothing."
    ),
    kind=sm.Choice(ComplianceKind),
    date=sm.TEXT,
)
ALLOC_EXCLUDED_TIER = sm.register(
    "grading.alloc.excluded.tier", _("Excluded: the rules do not include the tier “%(tier)s”."), tier=sm.Choice(Tier)
)
ALLOC_EXCLUDED_BUSINESS_TYPE = sm.register(
    "grading.alloc.excluded.business_type", _("Excluded: the rules exclude the business type “%(type)s”."), type=sm.TEXT
)
ALLOC_EXCLUDED_REGION = sm.register(
    "grading.alloc.excluded.region", _("Excluded: the rules do not include the region “%(region)s”."), region=sm.TEXT
)
ALLOC_EXCLUDED_NOT_GRADED = sm.register(
    "grading.alloc.excluded.not_graded", _("Excluded: the shop has no level (档位) yet: it was not graded.")
)
ALLOC_EXCLUDED_NOT_NAMED = sm.register(
    "grading.alloc.excluded.not_named",
    _("Excluded: this allocation goes to named shops only, and this shop is not one."),
)
ALLOC_LEVEL_CARTONS = sm.register(
    "grading.alloc.level_cartons",
    _("Level (档位) %(level)s: the quota table gives %(quota)s cartons per shop."),
    level=sm.COUNT,
    quota=sm.MONEY,
)
ALLOC_LEVEL_WEIGHT = sm.register(
    "grading.alloc.level_weight",
    _("Level (档位) %(level)s: the quota table gives a weight of %(quota)s."),
    level=sm.COUNT,
    quota=sm.MONEY,
)
ALLOC_NAMED = sm.register("grading.alloc.named", _("Named shop (选点定量): a fixed %(quota)s cartons."), quota=sm.COUNT)
ALLOC_PRIORITY = sm.register(
    "grading.alloc.priority",
    _("Tier “%(tier)s”: scarce-supply priority weight × %(weight)s."),
    tier=sm.Choice(Tier),
    weight=sm.MONEY,
)
ALLOC_HISTORY_PURCHASES = sm.register(
    "grading.alloc.history_purchases",
    _("Bought %(cartons)s cartons in the last %(weeks)s weeks: history factor × %(factor)s."),
    cartons=sm.COUNT,
    weeks=sm.COUNT,
    factor=sm.MONEY,
)
ALLOC_HISTORY_UPTAKE = sm.register(
    "grading.alloc.history_uptake",
    _("Ordered %(uptake)s of its last allocation: history factor × %(factor)s."),
    uptake=sm.SHARE,
    factor=sm.MONEY,
)
ALLOC_HISTORY_NO_UPTAKE = sm.register(
    "grading.alloc.history_no_uptake", _("No earlier allocation to learn from: history factor × 1.")
)
ALLOC_DEMAND = sm.register("grading.alloc.demand", _("Together: a demand of %(demand)s."), demand=sm.MONEY)
ALLOC_SHARE = sm.register(
    "grading.alloc.share",
    _("Its share of the %(cartons)s cartons for %(group)s, in proportion to demand: %(share)s cartons."),
    cartons=sm.COUNT,
    group=sm.TEXT,
    share=sm.MONEY,
)
ALLOC_BOUND_CAP = sm.register(
    "grading.alloc.bound_cap",
    _(
        "The share reaches the cap of %(cap)s cartons per shop: it is held there and what is above it goes "
        "to the others."
    ),
    cap=sm.COUNT,
)
ALLOC_BOUND_DEMAND = sm.register(
    "grading.alloc.bound_demand",
    _("There is enough for what the quota asks: the share is the %(cartons)s whole cartons asked for."),
    cartons=sm.COUNT,
)
ALLOC_ROUNDED_UP = sm.register(
    "grading.alloc.rounded_up",
    _(
        "Rounding: %(whole)s whole cartons, plus 1 because its remainder (%(remainder)s) was among the largest "
        "(ties go to the higher level, then the higher score, then the lower licence number)."
    ),
    whole=sm.COUNT,
    remainder=sm.MONEY,
)
ALLOC_ROUNDED_DOWN = sm.register(
    "grading.alloc.rounded_down",
    _("Rounding: %(whole)s whole cartons; its remainder (%(remainder)s) was not among the largest."),
    whole=sm.COUNT,
    remainder=sm.MONEY,
)
ALLOC_ROUNDED_EXACT = sm.register(
    "grading.alloc.rounded_exact", _("No rounding needed: %(whole)s whole cartons."), whole=sm.COUNT
)
ALLOC_RESULT = sm.register("grading.alloc.result", _("Allocated: %(cartons)s cartons."), cartons=sm.COUNT)
ALLOC_ZERO_QUOTA = sm.register(
    "grading.alloc.zero_quota", _("The quota table gives this level nothing, so the shop gets nothing.")
)

# What a correction changed against the version it corrects.
ALLOC_CHANGED_CARTONS = sm.register(
    "grading.alloc.changed_cartons",
    _("Cartons available: %(before)s → %(after)s."),
    before=sm.COUNT,
    after=sm.COUNT,
)
ALLOC_CHANGED_RULE_SET = sm.register(
    "grading.alloc.changed_rule_set", _("Rule set: %(before)s → %(after)s."), before=sm.TEXT, after=sm.TEXT
)
ALLOC_CHANGED_RULES = sm.register("grading.alloc.changed_rules", _("Rules changed: %(fields)s."), fields=RULE_FIELDS)
ALLOC_CHANGED_SHOPS = sm.register(
    "grading.alloc.changed_shops",
    _("%(shops)s shops get a different number of cartons: %(more)s cartons more and %(fewer)s fewer in all."),
    shops=sm.COUNT,
    more=sm.COUNT,
    fewer=sm.COUNT,
)
ALLOC_CHANGED_NOTHING = sm.register(
    "grading.alloc.changed_nothing", _("No shop's cartons changed against version %(version)s."), version=sm.COUNT
)

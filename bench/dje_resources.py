"""The retailer sheet as a django-import-export (4.4) user would import it, for bench_import.py.

Only the benchmark's own virtualenv has django-import-export (bench/setup_import_bench.sh); the
project does not depend on it. The resource reads the same 15-column Chinese template as our
importer and checks what it checks:

- licence, phone and credit code: the model's validators, through ``clean_model_instances``
  (``full_clean()``: also max lengths, required fields, the choices, the unique licence and the
  "issued on or before expiry" check constraint);
- dates: 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 20250301, Excel date cells and Excel serials;
- 业态, 市场类型, 商圈, 状态, 信用等级: the label (Chinese or English) or the code, mapped to the code;
- 营销片区: a service area's code (an unknown code is a row error, not a crash);
- optional cells left empty leave the stored value alone, as in our importer.

Where it still differs from ours is listed in bench/README.md (section on bench_import.py).
"""

from __future__ import annotations

import datetime
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import translation
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from retailers.models import (
    BusinessType,
    ChangeSource,
    CreditLevel,
    MarketType,
    Retailer,
    RetailerStatus,
    ServiceArea,
    ZoneType,
)

EXCEL_EPOCH = datetime.date(1899, 12, 30)


class TextWidget(widgets.CharWidget):
    """Text as typed in Chinese input methods: full-width digits and letters become ASCII, trimmed.
    (13912345678 typed as a number arrives as an int from openpyxl and is rendered without '.0'.)"""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = super().clean(value, row, **kwargs)
        if text is None:
            return None
        text = unicodedata.normalize("NFKC", text).strip()
        return text if text or self.allow_blank else None


class SheetDateWidget(widgets.DateWidget):
    """Excel date cells, Excel serial numbers, and the ways Chinese offices type dates."""

    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")

    def __init__(self) -> None:
        super().__init__()
        self.formats = self.FORMATS

    def clean(self, value, row=None, **kwargs):
        if value is None or value == "":
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2_958_466:
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        text = unicodedata.normalize("NFKC", str(value)).strip()
        try:
            return super().clean(text, row, **kwargs)
        except ValueError:
            raise ValueError("不是日期（请用 2025-03-01、2025/3/1 或 2025年3月1日）") from None


class ChoiceLabelWidget(widgets.CharWidget):
    """A choice given by its label (the model's TextChoices, in Chinese or English) or its code."""

    def __init__(self, choices: type) -> None:
        super().__init__(allow_blank=False)
        self.lookup = {code.lower(): code for code in choices.values}
        for language in ("en", "zh-hans"):
            with translation.override(language):
                self.labels = [str(label) for label in choices.labels]
                self.lookup.update({str(label).lower(): code for code, label in choices.choices})

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        text = unicodedata.normalize("NFKC", text).strip() if text is not None else ""
        if not text:
            return None
        try:
            return self.lookup[text.lower()]
        except KeyError:
            raise ValueError(f"“{text}”不是可选值：{'、'.join(self.labels)}") from None


class AreaCodeWidget(widgets.CachedForeignKeyWidget):
    """ForeignKeyWidget(ServiceArea, "code"), cached (one query for all areas, new in 4.4), with
    an unknown code reported as a validation error of the row instead of an ObjectDoesNotExist."""

    def __init__(self) -> None:
        super().__init__(ServiceArea, "code")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
        try:
            return super().clean(value, row, **kwargs)
        except ServiceArea.DoesNotExist:
            raise ValueError("没有这个编码的营销片区") from None


def _text(column: str, attribute: str, *, required: bool = True) -> fields.Field:
    # Required text: an empty cell becomes "" and full_clean() says the field cannot be blank.
    # Optional text: an empty cell is None and is not written (saves_null_values=False).
    return fields.Field(
        attribute=attribute,
        column_name=column,
        widget=TextWidget(allow_blank=required),
        saves_null_values=required,
    )


def _date(column: str, attribute: str, *, required: bool = True) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=SheetDateWidget(), saves_null_values=required)


def _choice(column: str, attribute: str, choices: type, *, required: bool = True) -> fields.Field:
    widget = ChoiceLabelWidget(choices)
    return fields.Field(attribute=attribute, column_name=column, widget=widget, saves_null_values=required)


class RetailerResource(resources.ModelResource):
    license_no = _text("许可证号", "license_no")
    name = _text("店名", "name")
    owner_name = _text("负责人", "owner_name")
    phone = _text("电话", "phone")
    address = _text("经营地址", "address")
    license_expires_on = _date("许可证有效期至", "license_expires_on")
    license_issued_on = _date("许可证发证日期", "license_issued_on", required=False)
    business_type = _choice("业态", "business_type", BusinessType)
    market_type = _choice("市场类型", "market_type", MarketType)
    zone_type = _choice("商圈", "zone_type", ZoneType)
    service_area = fields.Field(attribute="service_area", column_name="营销片区", widget=AreaCodeWidget())
    status = _choice("状态", "status", RetailerStatus, required=False)
    credit_level = _choice("信用等级", "credit_level", CreditLevel, required=False)
    credit_code = _text("统一社会信用代码", "credit_code", required=False)
    partner_since = _date("建档日期", "partner_since", required=False)

    class Meta:
        model = Retailer
        fields = (
            "license_no", "name", "owner_name", "phone", "address", "license_expires_on", "license_issued_on",
            "business_type", "market_type", "zone_type", "service_area", "status", "credit_level", "credit_code",
            "partner_since",
        )  # fmt: skip
        import_id_fields = ("license_no",)
        # The validation: full_clean() on every row that is not skipped (validators, lengths,
        # choices, unique licence, check constraints).
        clean_model_instances = True
        skip_unchanged = True  # needs skip_diff = False (the default): rows are compared field by field
        report_skipped = True
        # All or nothing, like our ALL_OR_NOTHING mode: the import runs in one transaction (each
        # row in a savepoint) and is rolled back on errors; the dry run is rolled back too.
        use_transactions = True
        # Chosen for speed, and valid: one query loads every licence of the file instead of one
        # get() per row; no HTML diff per row (only the admin's preview page shows it).
        instance_loader_class = CachedInstanceLoader
        skip_html_diff = True
        # Not valid here, so off: bulk mode never calls Retailer.save(), which normalises the
        # licence and phone and fills the pinyin search keys (name_pinyin, name_initials …), and it
        # sends no post_save, so django-simple-history writes no history rows (ours writes one per
        # created or changed retailer). batch_size only applies in bulk mode.
        use_bulk = False
        batch_size = 1000
        # Not valid either: force_init_instance (treats every row as new, so a re-import fails on
        # the unique licence) and skip_diff (turns skip_unchanged off).

    def before_save_instance(self, instance, row, **kwargs):
        # The history row says where the change came from and who made it, as ours does.
        instance._change_source = ChangeSource.IMPORT
        instance._history_user = kwargs.get("user")


class TunedRetailerResource(RetailerResource):
    """The same checks, without Django's per-row constraint queries.

    full_clean() checks each CheckConstraint of Retailer with a query of its own (in a savepoint:
    three statements), so three constraints cost nine statements a row, over half of the stock
    resource's time. Of the three, only "issued on or before expiry" concerns the sheet's columns
    (the other two bound stars and the order day, which the sheet does not set and whose defaults
    are valid), and that one is checked here in Python. A user who profiles would do this.
    """

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(exclude=errors.keys(), validate_unique=validate_unique, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        issued, expires = instance.license_issued_on, instance.license_expires_on
        if issued and expires and issued > expires and "license_issued_on" not in errors:
            errors["license_issued_on"] = [ValidationError("晚于许可证有效期")]
        if errors:
            raise ValidationError(errors)

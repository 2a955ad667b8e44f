"""Validators and normalisers for the identifiers a retailer dossier carries.

Messages name the field and say what is expected, in the UI language (zh-hans by default).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LICENSE_RE = re.compile(r"^\d{12}(\d{3})?$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def to_half_width(value: str) -> str:
    """Full-width digits, letters and punctuation (as typed by Chinese IMEs) become ASCII."""
    return unicodedata.normalize("NFKC", value)


def normalize_license_no(value: str) -> str:
    return re.sub(r"[\s\-]", "", to_half_width(value or ""))


def normalize_phone(value: str) -> str:
    value = re.sub(r"[\s()（）]", "", to_half_width(value or ""))
    return value.removeprefix("+86").removeprefix("0086")


def validate_license_no(value: str) -> None:
    if not LICENSE_RE.match(normalize_license_no(value)):
        raise ValidationError(
            _("Licence number must be 12 digits (or 15 in some provinces), e.g. 320102100123."),
            code="invalid_license_no",
        )


def validate_phone(value: str) -> None:
    phone = normalize_phone(value)
    if not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
        raise ValidationError(
            _("Enter a mobile number (11 digits starting with 1) or a landline such as 025-84561234."),
            code="invalid_phone",
        )


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    total = sum(CREDIT_CODE_CHARS.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=False))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


# By error code: the import stores the code and says it in the reader's language.
CREDIT_CODE_MESSAGES = {
    "invalid_credit_code": _(
        "A unified social credit code has 18 characters (digits and capital letters except I, O, S, V, Z)."
    ),
    "invalid_credit_code_check": _(
        "The check character of this unified social credit code is wrong; please re-check the code."
    ),
}


def credit_code_error(value: str) -> str:
    """The error code of what is wrong with a unified social credit code, or ""."""
    code = to_half_width(value or "").strip().upper()
    if len(code) != 18 or any(ch not in CREDIT_CODE_CHARS for ch in code):
        return "invalid_credit_code"
    if credit_code_check_char(code[:17]) != code[17]:
        return "invalid_credit_code_check"
    return ""


def validate_credit_code(value: str) -> None:
    error = credit_code_error(value)
    if error:
        raise ValidationError(CREDIT_CODE_MESSAGES[error], code=error)

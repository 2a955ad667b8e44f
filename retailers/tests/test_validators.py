import pytest
from django.core.exceptions import ValidationError

from retailers.pinyin import pinyin_keys
from retailers.validators import (
    credit_code_check_char,
    normalize_license_no,
    normalize_phone,
    validate_credit_code,
    validate_license_no,
    validate_phone,
)


@pytest.mark.parametrize("value", ["320102100123", "３２０１０２１００１２３", "320102 100123", "320102100123456"])
def test_valid_licence_numbers(value):
    validate_license_no(value)


@pytest.mark.parametrize("value", ["", "32010210012", "3201021001234", "32010210012A"])
def test_invalid_licence_numbers(value):
    with pytest.raises(ValidationError, match=r"许可证号|Licence number"):
        validate_license_no(value)


def test_licence_normalisation_turns_full_width_into_ascii():
    assert normalize_license_no(" ３２０１０２-１００１２３ ") == "320102100123"


@pytest.mark.parametrize("value", ["13912345678", "+86 139 1234 5678", "025-84561234", "0512-6789012", "02584561234"])
def test_valid_phones(value):
    validate_phone(value)


@pytest.mark.parametrize("value", ["12912345678", "1391234567", "84561234", "phone"])
def test_invalid_phones(value):
    with pytest.raises(ValidationError):
        validate_phone(value)


def test_phone_normalisation():
    assert normalize_phone("+86 139 1234 5678") == "13912345678"


def test_credit_code_check_character():
    assert credit_code_check_char("91350100M000100Y4") == "3"
    validate_credit_code("91350100M000100Y43")
    with pytest.raises(ValidationError):
        validate_credit_code("91350100M000100Y44")
    with pytest.raises(ValidationError):
        validate_credit_code("91350100I000100Y43")


def test_pinyin_keys_give_full_pinyin_and_initials():
    assert pinyin_keys("王记便利店") == ("wangjibianlidian", "wjbld")

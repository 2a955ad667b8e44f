"""Pinyin search keys, so that managers typing on phones find 王记便利店 by "wjbld"."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a Chinese text, lower case, without spaces.

    Non-Chinese characters are kept as they are, so "A1超市" gives ("a1chaoshi", "a1cs").
    """
    full = "".join(lazy_pinyin(text or "", errors="default")).lower().replace(" ", "")
    initials = "".join(lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default")).lower().replace(" ", "")
    return full, initials

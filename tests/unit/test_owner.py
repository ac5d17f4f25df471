"""Who owns a run: a browser is recognised across reloads by its XSRF cookie's token."""

import binascii
import os

from nnexplore.ui.owner import browser_key


def masked_cookie(token: bytes, mask: bytes | None = None) -> str:
    """A cookie as tornado writes it: 2|mask|token XOR mask|time."""
    mask = mask or os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    return f"2|{binascii.hexlify(mask).decode()}|{binascii.hexlify(masked).decode()}|1795443937"


def test_the_same_browser_gets_the_same_key_whatever_the_mask():
    token = os.urandom(16)
    first, second = masked_cookie(token, b"\x00\x01\x02\x03"), masked_cookie(token, b"\xff\x10\x20\x30")
    assert first != second
    assert browser_key(first) == browser_key(second) is not None


def test_different_browsers_get_different_keys_and_the_token_is_not_in_the_key():
    token = os.urandom(16)
    key = browser_key(masked_cookie(token))
    assert key != browser_key(masked_cookie(os.urandom(16)))
    assert token.hex() not in key


def test_unusable_cookies_give_no_key():
    for cookie in (
        None,
        "",
        "2|zz|zz|1",
        "2|00|abcd|1",
        "3|00010203|abcdabcdabcdabcd|1",
        "x" * 500,
        42,
        "2|0001",
    ):
        assert browser_key(cookie) is None, cookie
    assert browser_key(os.urandom(16).hex()) is not None  # tornado's older, unmasked format

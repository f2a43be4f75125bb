"""The suppression list: HMAC'd entries, reasons, imports (text and CSV), and a fuzz test of import files."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.delivery.ledger import Ledger
from workbench.delivery.suppression import REASONS, SuppressionList, blocks
from workbench.errors import InputError

KEY = b"s" * 32


@pytest.fixture
def sup(tmp_path):
    with Ledger(tmp_path / "delivery.sqlite") as ledger:
        yield SuppressionList(ledger, KEY, region="US")


def test_reasons_and_which_messages_they_stop():
    assert all(blocks(r, promotional=True) for r in REASONS)
    assert {r for r in REASONS if blocks(r, promotional=False)} == {
        "BOUNCE",
        "COMPLAINT",
        "SMS_STOP",
        "MANUAL",
    }


def test_keys_depend_on_the_project_secret_and_the_channel(tmp_path, sup):
    with Ledger(tmp_path / "other.sqlite") as other:
        elsewhere = SuppressionList(other, b"t" * 32)
        assert sup.address_key("email", "a@example.com") != elsewhere.address_key("email", "a@example.com")
    assert sup.address_key("email", "A@Example.COM") == sup.address_key("email", "a@example.com")
    assert sup.address_key("sms", "(206) 555-0100") == sup.address_key("sms", "+12065550100")
    assert sup.address_key("sms", "+12065550100") != sup.address_key("voice", "+12065550100")


def test_add_remove_and_list_without_addresses(sup):
    assert sup.add("a@example.com", reason="bounce") is True
    assert sup.add("a@example.com", reason="BOUNCE") is False
    sup.add("a@example.com", reason="MANUAL")
    assert sup.reasons("a@example.com") == ["BOUNCE", "MANUAL"]
    entries = sup.list()
    assert len(entries) == 2 and all("address" not in e for e in entries)
    assert {e["address"] for e in sup.list(address="a@example.com")} == {"a@example.com"}
    assert sup.remove("a@example.com", reason="MANUAL") == 1
    assert sup.reasons("a@example.com") == ["BOUNCE"]
    with pytest.raises(InputError, match=r"unknown reason 'bounced' .did you mean BOUNCE"):
        sup.add("b@example.com", reason="bounced")


def test_import_text_and_csv(sup, tmp_path):
    text = tmp_path / "list.txt"
    text.write_text("# exported 2026-12-01\none@example.com\n\n  two@example.com  \n+1 206 555 0100\n")
    result = sup.import_file(text, reason="UNSUBSCRIBE")
    assert result.to_dict() == {"file": str(text), "lines": 3, "added": 3, "already": 0}
    assert sup.reasons("two@example.com") == ["UNSUBSCRIBE"]
    assert sup.reasons("+12065550100", channel="sms") == ["UNSUBSCRIBE"]

    table = tmp_path / "ses.csv"
    table.write_text(
        "EmailAddress,address,reason,channel\nx,one@example.com,COMPLAINT,email\nx,+12065550101,,sms\n"
    )
    result = sup.import_file(table)
    assert (result.added, result.already) == (2, 0)
    assert sup.reasons("one@example.com") == ["COMPLAINT", "UNSUBSCRIBE"]  # an import never deletes
    assert sup.reasons("+12065550101", channel="sms") == ["MANUAL"]
    assert sup.import_file(text, reason="UNSUBSCRIBE").already == 3


@pytest.mark.parametrize(
    ("content", "line", "field", "message"),
    [
        ("ok@example.com\nnot an address\n", 2, "address", "not a valid e-mail address|not a phone number"),
        (
            "address,reason\nok@example.com,BOUNCE\nb@example.com,LEGAL\n",
            3,
            "reason",
            "unknown reason 'LEGAL'",
        ),
        ("address,channel\nok@example.com,fax\n", 2, "channel", "unknown channel 'fax'"),
        ("address,reason\n,BOUNCE\n", 2, "address", "no address"),
        ("name,reason\nA,BOUNCE\n", 1, "address", "without an 'address' column"),
        ("ok@example.com\n\x00\n", 2, None, "NUL"),
    ],
)
def test_bad_lines_are_named_and_nothing_is_added(sup, tmp_path, content, line, field, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as caught:
        sup.import_file(path)
    err = caught.value
    assert (err.file, err.line, err.field) == (str(path), line, field)
    assert sup.list() == []


def test_not_utf8_names_the_line(sup, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"a@example.com\nb\xe9@example.com\n")
    with pytest.raises(InputError, match="not UTF-8") as caught:
        sup.import_file(path)
    assert caught.value.line == 2


LINE = st.one_of(
    st.emails(),
    st.from_regex(r"\+1206555[0-9]{4}", fullmatch=True),
    st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=30),
    st.sampled_from(["", "# comment", "address,reason", ",BOUNCE", "a@b.c,COMPLAINT", '"a@example.com"']),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, max_size=12), reason=st.sampled_from(REASONS))
def test_fuzz_import_accepts_or_names_the_line(sup, lines, reason):
    text = "\n".join(lines)
    before = len(sup.list())
    try:
        result = sup.import_text(text, reason=reason, file="fuzz.csv")
    except InputError as err:
        assert err.file == "fuzz.csv"
        assert err.line is None or 1 <= err.line <= max(1, text.count("\n") + 1)
        assert len(sup.list()) == before  # all or nothing
    else:
        assert result.added + result.already == result.lines
        assert len(sup.list()) == before + result.added

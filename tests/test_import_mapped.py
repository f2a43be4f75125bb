"""Big uncompressed CSV files are memory-mapped (no copy), parsed by Polars from disk and hashed meanwhile:
the same import as a file read into memory, and the same answers to bad input."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import polars as pl
import pytest
from helpers import EMAIL_HEADER, email_rows, write_csv

from workbench import InputError, Project
from workbench.ingest import readers, source

MESSY = (
    "Id,ChannelType,Address,Attributes.plan,Attributes.tag,Attributes.tag,User.UserAttributes.name\n"
    'a,EMAIL,a@example.com,  pro  , x ,,"Doe, Ana"\n'
    'b,email,b@example.com,"",y,z,\u3000Kim\u00a0\n'
    "c,SMS,+1 (415) 555-0100,free,,,Łukasz\n"
    "a,EMAIL,dup@example.com,pro,,,\n"
)


@pytest.fixture
def map_everything(monkeypatch):
    monkeypatch.setattr(source, "MAP_BYTES", 1)


def endpoints(project: Project) -> pl.DataFrame:
    return project.query('SELECT * EXCLUDE (EffectiveDate, CreationDate) FROM endpoints ORDER BY "Id"')


def test_a_mapped_file_imports_exactly_like_a_read_one(tmp_path, monkeypatch):
    path = tmp_path / "in.csv"
    path.write_text(MESSY, encoding="utf-8")
    results = {}
    for mapped in (True, False):
        monkeypatch.setattr(source, "MAP_BYTES", 1 if mapped else 1 << 40)
        assert source.read_input(path, map_file=True).mapped is mapped
        project = Project.create(tmp_path / f"p{mapped}")
        result = project.endpoints.import_files(path, progress=False)
        rejects = Path(result.rejects_file).read_text(encoding="utf-8")
        results[mapped] = (endpoints(project), result.imported, result.rejected, rejects)
    assert results[True][0].equals(results[False][0])
    assert results[True][1:] == results[False][1:] == (3, 1, results[False][3])
    assert "duplicate Id 'a'" in results[True][3]


def test_a_mapped_file_is_hashed_like_a_read_one(tmp_path, map_everything):
    path = write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(50))
    text = source.read_input(path, map_file=True)
    assert text.mapped and text.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_only_plain_csv_files_are_mapped(tmp_path, map_everything):
    csv_text = "Id,ChannelType,Address\na,EMAIL,a@example.com\n"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + csv_text.encode())
    packed = tmp_path / "packed.csv.gz"
    packed.write_bytes(gzip.compress(csv_text.encode()))
    lines = tmp_path / "lines.jsonl"
    lines.write_text('{"Id": "a", "ChannelType": "EMAIL", "Address": "a@example.com"}\n')
    for path in (bom, packed, lines):
        text = source.read_input(path, map_file=True)
        assert not text.mapped and isinstance(text.data, bytes), path
    plain = tmp_path / "plain.csv"
    plain.write_text(csv_text)
    assert not source.read_input(plain).mapped  # only readers that ask for it get a map
    assert source.read_input(plain, map_file=True).mapped


@pytest.mark.parametrize(
    ("body", "offset", "line", "field"),
    [
        (b"a,EMAIL,a@example.com\nb,EMAIL,b\xff@example.com\n", 54, 3, "Address"),
        # in a ragged row's extra field, which Polars drops unread: still the whole file is refused
        (b"a,EMAIL,a@example.com,extra\xff\n", 50, 2, None),
        # in a row that sends the file to the exact reader (a quoted line break)
        (b'a,EMAIL,"a@exam\nple.com"\nb,EMAIL,b\xff@example.com\n', 57, 4, "Address"),
    ],
)
def test_not_utf8_in_a_mapped_file_names_the_byte_offset(
    project, tmp_path, map_everything, body, offset, line, field
):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Id,ChannelType,Address\n" + body)
    assert source.read_input(path, map_file=True).mapped  # checked beside the parse, not before
    with pytest.raises(InputError, match=f"invalid byte 0xff at byte offset {offset}") as err:
        project.endpoints.import_files(path, progress=False)
    assert err.value.line == line and err.value.field == field
    assert project.endpoints.count().endpoints == 0


def test_not_utf8_in_a_mapped_header_comes_first(project, tmp_path, map_everything):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Id,ChannelType,Addr\xe9ss\na,EMAIL,a@example.com\n")  # Latin-1, also an unknown column
    with pytest.raises(InputError, match="not UTF-8: invalid byte 0xe9 at byte offset 19"):
        project.endpoints.import_files(path, progress=False)


def test_a_file_changed_during_the_import_imports_nothing(project, tmp_path, monkeypatch, map_everything):
    path = tmp_path / "a.csv"
    path.write_text("Id,ChannelType,Address\n" + "".join(f"e{i},EMAIL,e{i}@example.com\n" for i in range(20)))
    parse = readers.pl.read_csv
    parsed = []

    def parse_then_append(*args, **kwargs):
        frame = parse(*args, **kwargs)
        parsed.append(args[0])
        with open(path, "a", encoding="utf-8") as fh:  # another program still writing the file
            fh.write("late,EMAIL,late@example.com\n")
        return frame

    monkeypatch.setattr(readers.pl, "read_csv", parse_then_append)  # (the fast path: LF line ends)
    with pytest.raises(InputError, match="changed while it was being imported"):
        project.endpoints.import_files(path, progress=False)
    assert parsed == [path]  # Polars read the file from disk, by its name
    assert project.endpoints.count().endpoints == 0


def test_reimporting_a_mapped_file_is_skipped_after_its_parse(project, tmp_path, map_everything):
    path = write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(20))
    first = project.endpoints.import_files(path, progress=False)
    again = project.endpoints.import_files(path, progress=False)
    assert first.imported == 20 and again.imported == 0 and again.skipped_files == [str(path)]
    assert project.query("SELECT count(*) FROM imports").item() == 1
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    both = project.endpoints.import_files(
        copy, path, progress=False
    )  # same bytes under another name: skipped
    assert both.skipped_files == [str(copy), str(path)] and project.endpoints.count().endpoints == 20

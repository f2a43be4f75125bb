"""Input files as read: a plain and a gzip-compressed file import alike, a byte that is not UTF-8 is named by
offset, line and field wherever it is, and a file imported before is skipped by its bytes."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from helpers import EMAIL_HEADER, email_rows, write_csv

from workbench import InputError, Project

MESSY = (
    "Id,ChannelType,Address,Attributes.plan,Attributes.tag,Attributes.tag,User.UserAttributes.name\n"
    'a,EMAIL,a@example.com,  pro  , x ,,"Doe, Ana"\n'
    'b,email,b@example.com,"",y,z,\u3000Kim\u00a0\n'
    "c,SMS,+1 (415) 555-0100,free,,,Łukasz\n"
    "a,EMAIL,dup@example.com,pro,,,\n"
)


def endpoints(project: Project) -> pl.DataFrame:
    return project.query('SELECT * EXCLUDE (EffectiveDate, CreationDate) FROM endpoints ORDER BY "Id"')


def test_a_compressed_file_imports_exactly_like_a_plain_one(tmp_path):
    plain = tmp_path / "in.csv"
    plain.write_text(MESSY, encoding="utf-8")
    packed = tmp_path / "in.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    results = {}
    for path in (plain, packed):
        project = Project.create(tmp_path / f"p-{path.name}")
        result = project.endpoints.import_files(path, progress=False)
        rejects = Path(result.rejects_file).read_text(encoding="utf-8").replace(str(path), "FILE")
        results[path] = (endpoints(project), result.imported, result.rejected, rejects)
    assert results[plain][0].equals(results[packed][0])
    assert results[plain][1:] == results[packed][1:] == (3, 1, results[plain][3])
    assert (
        results[plain][3].startswith("file,line,field,reason\n") and "duplicate Id 'a'" in results[plain][3]
    )


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
def test_not_utf8_names_the_byte_offset(project, tmp_path, body, offset, line, field):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Id,ChannelType,Address\n" + body)
    with pytest.raises(InputError, match=f"invalid byte 0xff at byte offset {offset}") as err:
        project.endpoints.import_files(path, progress=False)
    assert err.value.line == line and err.value.field == field
    assert project.endpoints.count().endpoints == 0


def test_not_utf8_in_the_header_comes_first(project, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Id,ChannelType,Addr\xe9ss\na,EMAIL,a@example.com\n")  # Latin-1, also an unknown column
    with pytest.raises(InputError, match="not UTF-8: invalid byte 0xe9 at byte offset 19"):
        project.endpoints.import_files(path, progress=False)


def test_reimporting_a_file_is_skipped(project, tmp_path):
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

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gzip
import io
import os
import tarfile

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils.deployments import (
    FIXED_MTIME,
    ArchiveError,
    git_ref_error,
    inspect_archive,
    pack_directory,
    source_url_error,
    tail,
)


def make_tree(root):
    (root / "app").mkdir(parents=True)
    (root / "app" / "Procfile").write_text("web: ./run\n")
    (root / "app" / "run").write_text("#!/bin/sh\n")
    os.chmod(str(root / "app" / "run"), 0o700)
    (root / "app" / "lib").mkdir()
    (root / "app" / "lib" / "a.txt").write_text("a\n")
    (root / "app" / ".git").mkdir()
    (root / "app" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    os.symlink("lib/a.txt", str(root / "app" / "link"))
    return root / "app"


def pack(folder, **kwargs):
    target = io.BytesIO()
    ref, skipped = pack_directory(str(folder), target, **kwargs)
    return target.getvalue(), ref, skipped


def test_packing_is_reproducible_whatever_the_times(tmp_path):
    folder = make_tree(tmp_path / "one")
    first, ref, skipped = pack(folder)
    os.utime(str(folder / "Procfile"), (1, 1))
    os.utime(str(folder / "lib"), (2, 2))
    again, ref_again, dummy = pack(folder)
    other, ref_other, dummy = pack(make_tree(tmp_path / "two"))
    assert first == again == other
    assert ref == ref_again == ref_other
    assert ref.startswith("sha256-") and len(ref) == len("sha256-") + 40
    assert skipped == []
    assert first[4:8] == b"\x00\x00\x00\x00"   # gzip header without a time


def test_packed_archive_has_one_top_folder_fixed_metadata_and_no_git(tmp_path):
    data, dummy, dummy = pack(make_tree(tmp_path))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == ["source", "source/Procfile", "source/lib", "source/lib/a.txt", "source/link", "source/run"]
    assert all(m.mtime == FIXED_MTIME and m.uid == 0 and m.gid == 0 and m.uname == "" and m.gname == ""
               for m in members)
    modes = dict((m.name, m.mode) for m in members)
    assert modes["source/run"] == 0o755 and modes["source/Procfile"] == 0o644 and modes["source/lib"] == 0o755
    link = [m for m in members if m.name == "source/link"][0]
    assert link.issym() and link.linkname == "lib/a.txt"


def test_content_changes_the_ref_and_excludes_apply(tmp_path):
    folder = make_tree(tmp_path)
    dummy, ref, dummy = pack(folder)
    (folder / "lib" / "a.txt").write_text("b\n")
    dummy, changed, dummy = pack(folder)
    assert changed != ref
    data, dummy, dummy = pack(folder, exclude=[".git", "lib"])
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        assert tar.getnames() == ["source", "source/Procfile", "source/link", "source/run"]
    data, dummy, dummy = pack(folder, exclude=[])
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        assert "source/.git/HEAD" in tar.getnames()


def test_inspect_gives_the_ref_of_the_packed_archive(tmp_path):
    data, ref, dummy = pack(make_tree(tmp_path))
    path = tmp_path / "app.tar.gz"
    path.write_bytes(data)
    assert inspect_archive(str(path)) == ref


def write_tar(path, entries, prefix=""):
    with tarfile.open(str(path), "w:gz") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(prefix + name)
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))


def test_inspect_accepts_one_folder_even_with_a_dot_prefix(tmp_path):
    path = tmp_path / "a.tar.gz"
    write_tar(path, [(".", None), ("app", None), ("app/Procfile", b"web: x\n")], prefix="./")
    assert inspect_archive(str(path)).startswith("sha256-")
    write_tar(path, [("app/Procfile", b"web: x\n")])   # no folder entry, only a path inside one
    assert inspect_archive(str(path)).startswith("sha256-")


@pytest.mark.parametrize("entries, found", [
    ([("Procfile", b"web: x\n"), ("index.html", b"x")], "found Procfile, index.html"),
    ([("one/a", b"x"), ("two/b", b"x")], "found one, two"),
    ([("Procfile", b"web: x\n")], "found Procfile"),
    ([], "found nothing"),
])
def test_inspect_refuses_anything_but_one_top_folder(tmp_path, entries, found):
    path = tmp_path / "a.tar.gz"
    write_tar(path, entries)
    with pytest.raises(ArchiveError) as error:
        inspect_archive(str(path))
    assert "must hold exactly one folder at its root" in str(error.value)
    assert found in str(error.value)


def test_inspect_refuses_files_that_are_not_gzipped_tars(tmp_path):
    plain = tmp_path / "plain.tar.gz"
    plain.write_text("hello")
    with pytest.raises(ArchiveError, match="is not a gzipped tar archive"):
        inspect_archive(str(plain))
    text = tmp_path / "text.gz"
    text.write_bytes(gzip.compress(b"hello"))
    with pytest.raises(ArchiveError, match="is not a readable gzipped tar archive"):
        inspect_archive(str(text))
    with pytest.raises(ArchiveError, match="is not a file"):
        inspect_archive(str(tmp_path / "missing.tar.gz"))


@pytest.mark.parametrize("value, message", [
    ("v1.2.3", None), ("abcdef1234", None), ("feature/x", None), (None, None),
    ("", "git_ref: must not be empty"),
    ("-rf", "git_ref: '-rf' must not start with '-'"),
    ("v 1", "git_ref: 'v 1' must not contain spaces or control characters"),
    ("v1\n", "must not contain spaces or control characters"),
])
def test_git_ref_rule(value, message):
    error = git_ref_error(value)
    assert (error is None) if message is None else (message in error)


def test_source_url_rule_never_quotes_the_url():
    assert source_url_error("https://example.com/a.tar.gz?X-Amz-Signature=abc") is None
    error = source_url_error("ftp://example.com/a.tar.gz?secret=abc")
    assert error.startswith("source_url: not an absolute http(s) URL")
    assert "secret" not in error


def test_tail():
    assert tail("a\nb\nc\n", 2) == ["b", "c"]
    assert tail("a\nb\nc\n", 0) == ["a", "b", "c"]
    assert tail("", 5) == []

"""Licence evidence in text: SPDX tags, every SPDX licence text as a document, notices, negatives."""

from __future__ import annotations

import pytest

from provaudit.core.licenses import license_index, normalize_scancode_expression
from provaudit.core.licensetext import (
    Detection,
    LicenseTextDetector,
    _data_dir,
    _read,
    _yes,
    find_spdx_tags,
)

DETECTOR = LicenseTextDetector()


def _spdx_texts() -> dict[str, str]:
    """Return SPDX id -> licence text for every SPDX licence and exception with a text."""
    texts = {}
    for path in sorted((_data_dir() / "licenses").glob("*.LICENSE")):
        meta, body = _read(path)
        if _yes(meta.get("is_deprecated")) or not meta.get("key"):
            continue
        sid = normalize_scancode_expression(str(meta["key"])).spdx  # as the index names it today
        if sid and not sid.startswith("LicenseRef-"):
            texts[sid] = body
    return texts


def test_every_spdx_licence_text_is_found_as_a_document() -> None:
    texts = _spdx_texts()
    spdx_ids = {e.spdx for e in license_index() if not e.spdx.startswith("LicenseRef-")}
    # licensedcode-data 32.1 (April 2024) has no text for 51 ids of the index's SPDX list
    # 3.27 (ids added since, deprecated "GPL-2.0-with-..." forms, any-OSI which has none).
    assert len(texts) >= 700 and len(set(texts) - spdx_ids) == 0
    wrong = {}
    for sid, body in texts.items():
        # match_text: four texts (CAL-1.0, its exception, Community-Spec-1.0, SHL-2.1) carry
        # an SPDX-License-Identifier line of their own, which detect() rightly reports first.
        got = DETECTOR.match_text(body)
        if got is None or got.spdx != sid or got.by != "text-match":
            wrong[sid] = got
    # Artistic-1.0-cl8 is Artistic-1.0 plus a clause 8 near its end: their first WINDOW (300)
    # words are the same, and the whole texts tell them apart.
    assert wrong == {}, f"{len(wrong)} of {len(texts)}: {sorted(wrong.items())[:10]}"


def test_a_licence_text_followed_by_other_text_is_found() -> None:
    mit = _spdx_texts()["MIT"]
    got = DETECTOR.detect(mit + "\n\n" + "def main():\n    return compute(arguments)\n" * 200)
    assert got == Detection("MIT", "permissive", "text-match")


@pytest.mark.parametrize(("text", "spdx"), [
    ("// SPDX-License-Identifier: MIT\nint main(void) { return 0; }\n", "MIT"),
    ("/* SPDX-License-Identifier: GPL-2.0-or-later WITH Linux-syscall-note */\n#include <x.h>",
     "GPL-2.0-or-later WITH Linux-syscall-note"),
    ("# SPDX-License-Identifier: Apache-2.0 OR MIT\nimport os\n", "Apache-2.0 OR MIT"),
    ("<!-- SPDX-License-Identifier: CC-BY-4.0 -->\n<p>text</p>", "CC-BY-4.0"),
    ("spdx-license-identifier: gpl-2.0+\n", "GPL-2.0-or-later"),
    ("// SPDX-License-Identifier: MIT\n// SPDX-License-Identifier: BSD-3-Clause\n", "MIT AND BSD-3-Clause"),
])
def test_spdx_tags(text: str, spdx: str) -> None:
    got = DETECTOR.detect(text)
    assert got is not None and got.spdx == spdx and got.by == "spdx-tag"


def test_unresolvable_tag_is_no_detection() -> None:
    assert find_spdx_tags("// SPDX-License-Identifier: my-own-terms\n") is None
    assert find_spdx_tags("no tag here") is None


def test_a_tag_wins_over_the_text() -> None:
    gpl = _spdx_texts()["GPL-3.0-only"]
    assert DETECTOR.detect("SPDX-License-Identifier: MIT\n" + gpl).by == "spdx-tag"


APACHE_NOTICE = """Copyright 2020 Example Corp.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
"""

GPL_NOTICE = """This program is free software; you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation; either version 2 of the License, or
(at your option) any later version.

This program is distributed in the hope that it will be useful,
but WITHOUT ANY WARRANTY; without even the implied warranty of
MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
GNU General Public License for more details.
"""


@pytest.mark.parametrize(("text", "spdx"), [
    (APACHE_NOTICE + "\npackage main\n\nfunc main() {}\n", "Apache-2.0"),
    (GPL_NOTICE + "\n#include <stdio.h>\nint main(void) { return 0; }\n", "GPL-2.0-or-later"),
])
def test_standard_notices(text: str, spdx: str) -> None:
    got = DETECTOR.detect(text)
    assert got is not None and got.spdx == spdx and got.by == "notice"


@pytest.mark.parametrize("text", [
    "",
    "MIT",
    "The quick brown fox jumps over the lazy dog. " * 200,
    "This software is licensed to you under terms we will explain later, see our website.",
    "Permission is hereby granted, free of charge, to any person who asks.",  # one stray sentence
    "公有领域的作品可以自由使用。" * 50,
])
def test_no_licence_evidence(text: str) -> None:
    assert DETECTOR.detect(text) is None


def test_detection_is_deterministic_across_calls() -> None:
    text = _spdx_texts()["BSD-2-Clause"]
    assert {DETECTOR.detect(text) for _ in range(3)} == {Detection("BSD-2-Clause", "permissive", "text-match")}


def test_findings_record_detection_and_conflict() -> None:
    from provaudit.core.findings import Annotator, SourceFacts
    from provaudit.core.records import Document

    annotator = Annotator()
    annotator.setup()
    gpl = _spdx_texts()["GPL-3.0-only"]
    row = annotator.annotate(Document("s", "a.jsonl", "line:1", "d1", gpl, None, None),
                             SourceFacts("MIT", "licensed"))
    assert (row.license_spdx, row.license_detected, row.license_detected_by, row.license_conflict) == (
        "MIT", "GPL-3.0-only", "text-match", True)
    row = annotator.annotate(Document("s", "a.jsonl", "line:2", "d2", "plain words " * 50, None, None),
                             SourceFacts("MIT", "licensed"))
    assert (row.license_detected, row.license_detected_by, row.license_conflict) == (None, None, False)
    row = annotator.annotate(Document("s", "a.jsonl", "line:3", "d3", "SPDX-License-Identifier: MIT\nx", None,
                                      "MIT OR Apache-2.0"), SourceFacts(None, "licensed"))
    assert (row.license_detected, row.license_detected_by, row.license_conflict) == ("MIT", "spdx-tag", False)

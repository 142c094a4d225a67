"""The Chinese catalogs are complete: every string of ours has a translation that is not
fuzzy, the compiled catalogs say what the .po files say, and extracting the strings from
the code afresh finds none the catalogs lack.

Our catalogs: one per app (``<app>/locale``) and the project's (``locale/``, for the
templates under ``templates/`` and ``config``). The fresh extraction needs GNU gettext
(xgettext), as ``makemessages`` does: CI has it; elsewhere that test skips.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from casework.tests.environment import require_service

ROOT = Path(settings.BASE_DIR)
APPS = ("casework", "complaints", "accounts", "refunds")
CATALOGS = {app: ROOT / app / "locale" for app in APPS} | {"project": ROOT / "locale"}
LANGUAGE_DIR = "zh_Hans"


@dataclass(frozen=True)
class Entry:
    context: str
    msgid: str
    plural: str
    translations: tuple[str, ...]
    fuzzy: bool


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip())


def entries(po: Path) -> list[Entry]:
    """The entries of a .po file (the header left out), read by the format's few rules."""
    found: list[Entry] = []
    fields: dict[str, str] = {}
    fuzzy = False
    current = ""

    def flush() -> None:
        nonlocal fields, fuzzy
        if fields.get("msgid"):
            translations = tuple(value for key, value in sorted(fields.items()) if key.startswith("msgstr"))
            found.append(
                Entry(
                    fields.get("msgctxt", ""),
                    fields["msgid"],
                    fields.get("msgid_plural", ""),
                    translations,
                    fuzzy,
                )
            )
        fields, fuzzy = {}, False

    for raw in po.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            continue  # obsolete entries are not in use
        if line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            fields[current] += _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgctxt" and "msgid" in fields:
            flush()
        current = keyword
        fields[current] = _unquote(rest)
    flush()
    return found


def po_file(catalog: Path) -> Path:
    return catalog / LANGUAGE_DIR / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("name", sorted(CATALOGS))
def test_every_string_has_a_chinese_translation_that_is_not_fuzzy(name):
    po = po_file(CATALOGS[name])
    assert po.exists(), f"{name} has no Chinese catalog at {po}"
    assert po.with_suffix(".mo").exists(), f"{name}'s catalog is not compiled"
    found = entries(po)
    assert found, f"{name}'s catalog is empty"
    untranslated = [e.msgid for e in found if not all(e.translations)]
    fuzzy = [e.msgid for e in found if e.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated in {name}, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {name}, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("name", sorted(CATALOGS))
def test_the_compiled_catalog_says_what_the_po_file_says(name):
    """A .po edited without compiling shows here; so do two catalogs giving one English
    string two translations (only one of them can win)."""
    stale = []
    with translation.override("zh-hans"):
        for entry in entries(po_file(CATALOGS[name])):
            if entry.plural:
                got = (
                    translation.npgettext(entry.context, entry.msgid, entry.plural, 1)
                    if entry.context
                    else (translation.ngettext(entry.msgid, entry.plural, 1))
                )
            elif entry.context:
                got = translation.pgettext(entry.context, entry.msgid)
            else:
                got = translation.gettext(entry.msgid)
            if got != entry.translations[0]:
                stale.append((entry.msgid, got, entry.translations[0]))
    assert not stale, f"{len(stale)} differ in {name}, e.g. {stale[:3]}"


def extracted(source: Path, *, ignore: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    """The (context, msgid) pairs makemessages finds in ``source`` now, in a scratch copy."""
    arguments = [
        sys.executable,
        "-P",  # the app's own folder is not on the path: its selectors.py would hide the stdlib's
        "-m",
        "django",
        "makemessages",
        "-l",
        LANGUAGE_DIR,
        "-e",
        "html,txt,py",
        "--no-obsolete",
        "--settings=config.settings",
        f"--pythonpath={ROOT}",
        *[f"--ignore={pattern}" for pattern in ignore],
    ]
    subprocess.run(arguments, cwd=source, check=True, capture_output=True, text=True)
    return {(e.context, e.msgid) for e in entries(po_file(source / "locale"))}


def test_no_string_in_the_code_is_missing_from_its_catalog(tmp_path):
    require_service(shutil.which("xgettext") is not None, "GNU gettext (xgettext)")
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".git", "var", "__pycache__", "*.mo", "node_modules"),
    )
    missing = {}
    for app in APPS:
        committed = {(e.context, e.msgid) for e in entries(po_file(CATALOGS[app]))}
        shutil.rmtree(copy / app / "locale")
        (copy / app / "locale").mkdir()
        new = extracted(copy / app, ignore=("tests/*", "migrations/*"))
        if new - committed:
            missing[app] = sorted(new - committed)[:10]
    committed = {(e.context, e.msgid) for e in entries(po_file(CATALOGS["project"]))}
    shutil.rmtree(copy / "locale")
    (copy / "locale").mkdir()
    new = extracted(copy, ignore=(*[f"{app}/*" for app in APPS], "bench/*", "docs/*", "conftest.py"))
    if new - committed:
        missing["project"] = sorted(new - committed)[:10]
    assert not missing, f"strings marked in the code but not in the catalogs (run makemessages): {missing}"


def test_the_partner_api_answers_in_english_whatever_the_caller_asks(api, partner):
    from complaints.tests.factories import file_complaint

    complaint = file_complaint(partner)

    read = api.get(f"/api/v1/complaints/{complaint.reference}/", HTTP_ACCEPT_LANGUAGE="zh-hans,zh;q=0.9")
    refused = api.post("/api/v1/complaints/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert read.status_code == 200
    assert read.json()["state_display"] == "received"
    assert read["Content-Language"] == "en"
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["category"] == ["This field is required."]


def test_the_admin_follows_the_language_chosen_in_its_header(client, supervisor):
    client.force_login(supervisor)

    chosen = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/"})
    page = client.get("/admin/")

    assert chosen.status_code == 302
    assert page["Content-Language"] == "zh-hans"
    assert 'lang="zh-hans"' in page.content.decode()

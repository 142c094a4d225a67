"""The partner's ``q``: its own complaints found by their words, never another partner's,
never by what only the back office can read; documented in the schema."""

# ruff: noqa: RUF001
from __future__ import annotations

from rest_framework.test import APIClient

from casework.tests.api import assert_error, listed
from complaints import services
from complaints.tests.api import LIST_URL
from complaints.tests.factories import file_complaint


def test_q_finds_the_partners_own_complaint_by_a_chinese_phrase(api, partner):
    wanted = file_complaint(partner, description="用户反馈：扫码付款后退款未到账，已过七天。")
    file_complaint(partner, description="用户反馈：页面打不开。")

    assert listed(api, LIST_URL, q="退款未到账") == [wanted.reference]
    assert listed(api, LIST_URL, q="用户反馈 七天") == [wanted.reference]
    assert listed(api, LIST_URL, q="APP 打不开") == []


def test_q_finds_a_word_in_a_message_between_the_partner_and_the_back_office(api, partner, agent):
    complaint = file_complaint(partner)
    services.add_partner_message(
        complaint=complaint, actor=partner.user, body="The customer sent the BANK slip."
    )
    complaint.refresh_from_db()
    services.reply_to_partner(complaint=complaint, actor=agent, body="已转交清算团队核对。")

    assert listed(api, LIST_URL, q="bank slip") == [complaint.reference]
    assert listed(api, LIST_URL, q="清算团队") == [complaint.reference]


def test_q_never_lists_another_partners_complaint(api, other_api, partner, other_partner):
    mine = file_complaint(partner, description="重复扣款两笔，商户未退款。", external_reference="MINE-1")
    theirs = file_complaint(
        other_partner, description="重复扣款两笔，商户未退款。", external_reference="THEIRS-1"
    )

    assert listed(api, LIST_URL, q="重复扣款") == [mine.reference]
    assert listed(other_api, LIST_URL, q="重复扣款") == [theirs.reference]
    assert listed(api, LIST_URL, q="THEIRS") == []


def test_q_does_not_find_a_word_written_only_in_an_internal_note(api, partner, agent):
    complaint = file_complaint(partner, description="The app is slow.")
    services.add_note(complaint=complaint, actor=agent, body="内部：疑似欺诈，勿告知商户。")

    assert listed(api, LIST_URL, q="疑似欺诈") == []
    assert listed(api, LIST_URL, q="slow") == [complaint.reference]


def test_q_is_combined_with_the_other_filters(api, partner):
    open_one = file_complaint(partner, description="Refund of order 7781 missing.")
    withdrawn = file_complaint(partner, description="Refund of order 7782 missing.")
    services.withdraw_complaint(complaint=withdrawn, actor=partner.user)

    assert listed(api, LIST_URL, q="refund missing", state="received") == [open_one.reference]
    assert sorted(listed(api, LIST_URL, q="REFUND")) == sorted([open_one.reference, withdrawn.reference])


def test_a_q_too_long_empty_or_with_a_nul_is_a_400_naming_it(api, partner):
    for value in ("x" * 201, "", "退款\x00"):
        error = assert_error(api.get(LIST_URL, {"q": value}), 400, "invalid")
        assert list(error["fields"]) == ["q"], value


def test_the_schema_documents_q_on_the_complaints_list(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    [q] = [p for p in schema["paths"]["/api/v1/complaints/"]["get"]["parameters"] if p["name"] == "q"]

    assert q["in"] == "query" and q["schema"] == {"type": "string", "maxLength": 200, "minLength": 1}
    assert "退款未到账" in q["description"] and "Only your own complaints" in q["description"]


def test_a_search_pages_by_cursor_newest_first_and_keeps_its_words(api, partner):
    made = [file_complaint(partner, description=f"退款未到账，第{n}笔。").reference for n in range(3)]
    file_complaint(partner, description="页面打不开。")

    first = api.get(LIST_URL, {"q": "退款未到账", "page_size": 2}).json()
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()

    assert [row["reference"] for row in first["results"]] == made[:0:-1]
    assert [row["reference"] for row in second["results"]] == made[:1]
    assert second["next"] is None and "q=" in first["next"]
    assert [row["reference"] for row in back["results"]] == made[:0:-1]

"""The full-text search (complaints.search): words found inside descriptions, merchants,
transaction references, notes and messages, Chinese as written, every word needed; the
trigram indexes it reads on PostgreSQL; the same answers row by row (SQLite's way)."""

# ruff: noqa: RUF001
from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from casework.intake.texts import file_customer_sms
from casework.models import CustomerMessage
from complaints import services
from complaints.models import Complaint, State
from complaints.search import (
    PARTNER_PLACES,
    STAFF_PLACES,
    is_indexed,
    search_complaints,
    search_q,
    search_words,
)
from complaints.tests.factories import complaint_in_state, file_complaint, register

CHINESE_DESCRIPTION = "我在便利店用钱包付款，页面显示支付失败，但余额被扣了88元，退款未到账。"


def found(query: str, **options) -> set[Complaint]:
    condition = search_q(query, **options)
    return set(Complaint.objects.filter(condition)) if condition is not None else set()


@pytest.fixture
def cases(agent, partner):
    """One complaint for each place a word can be found in, and one with none of them."""
    made = {
        "description": register(agent, description=CHINESE_DESCRIPTION),
        "merchant": register(agent, merchant="美团外卖（上海徐汇店）", category="refund"),
        "english": register(agent, description="The REFUND for order 8841 never reached my wallet."),
        "note": register(agent, description="Payment failed twice."),
        "partner message": file_complaint(partner, description="客户说扫码付款失败。"),
        "customer sms": register(agent, description="Top-up not credited.", customer_phone="13911118888"),
        "plain": register(
            agent, description="App crashes on the login page.", merchant="Starbucks Nanjing Rd"
        ),
    }
    services.add_note(complaint=made["note"], actor=agent, body="银行回单显示冲正已完成，等待清算。")
    services.add_partner_message(
        complaint=made["partner message"], actor=partner.user, body="商户已核实：重复扣款两笔。"
    )
    filed = file_customer_sms("+8613911118888", "我的话费充值一直没有到账，请尽快处理")
    assert filed is not None and filed.case == made["customer sms"]
    return made


def test_a_chinese_phrase_inside_a_description_is_found(cases):
    assert found("退款未到账") == {cases["description"]}
    assert found("支付失败") == {cases["description"]}  # two characters each side of 失败


def test_a_chinese_phrase_is_found_in_a_merchant_a_note_and_each_kind_of_message(cases):
    assert found("美团外卖") == {cases["merchant"]}
    assert found("冲正已完成") == {cases["note"]}
    assert found("重复扣款") == {cases["partner message"]}
    assert found("话费充值") == {cases["customer sms"]}


def test_a_staff_reply_to_the_partner_and_to_the_customer_are_found(cases, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, description="Double charge.")
    services.reply_to_customer(
        complaint=complaint, actor=agent, channel="sms", text="您的退款已于今日原路退回。"
    )
    services.reply_to_partner(
        complaint=cases["partner message"], actor=agent, body="我们已提交技术团队排查。"
    )

    assert found("原路退回") == {complaint}
    assert found("技术团队排查") == {cases["partner message"]}


def test_english_is_found_whatever_its_capitals(cases):
    assert found("refund") == {cases["english"]}
    assert found("ReFuNd ORDER") == {cases["english"]}
    assert found("STARBUCKS") == found("starbucks") == found("nanjing RD") == {cases["plain"]}


def test_every_word_must_be_found_each_in_any_place(cases):
    # 便利店 in the description, 88 in it too; 美团 only in the merchant's name.
    assert found("便利店 退款未到账") == {cases["description"]}
    assert found("便利店 美团") == set()
    assert found("Payment 冲正") == {cases["note"]}  # the description and the note, one complaint


def test_no_false_positives(cases):
    assert found("退款已到账") == set()  # the words reversed are another phrase
    assert found("未到账退款") == set()
    assert found("refunded") == set()  # longer than what is written
    assert found("100%") == set() and found("_") == set()  # LIKE's wildcards are plain characters
    assert found('"Payment failed twice. 银行回单"') == set(), "a phrase is not stitched across two places"
    assert found("Payment failed twice. 银行回单") == {cases["note"]}  # four words, each found


def test_the_notices_the_system_writes_are_not_searched(agent):
    complaint = complaint_in_state(State.ACCEPTED, agent=agent, description="Card top-up not credited.")
    services.resolve_complaint(
        complaint=services.start_complaint(complaint=complaint, actor=agent),
        actor=agent,
        code="explained",
        summary="Explained the bank's processing time.",
        business_type="B01",
        cause="C03",
        product="P01",
        root_cause="R01",
        outcome="not_upheld",
    )
    notice = CustomerMessage.objects.filter(
        object_id=complaint.pk, author__isnull=True, direction="out"
    ).first()
    assert notice is not None, "the decision notice was written"
    word = max(notice.body_text.split(), key=len)
    assert word not in complaint.description
    assert complaint not in found(word)


def test_words_are_split_on_spaces_and_quotes_keep_a_phrase(cases):
    assert search_words("  退款\u3000到账  ") == ["退款", "到账"]  # the ideographic space too
    assert search_words('"never reached" wallet') == ["never reached", "wallet"]
    assert search_words("退款 退款未到账 REFUND refund") == ["REFUND", "退款未到账"]  # the longest first
    assert found('"never reached my"') == {cases["english"]}
    assert found('"my never"') == set()
    assert search_q("   ") is None and search_q('""') is None


def test_one_or_two_characters_are_checked_row_by_row_and_still_found(cases):
    assert not is_indexed("退款") and not is_indexed("88") and is_indexed("退款未") and is_indexed("ORD-884")
    assert not is_indexed("a-b_c")  # no three letters in a row: no trigram to look up
    assert found("退款") == {cases["description"]}
    assert found("扣款") == {cases["partner message"]}
    assert found("被扣") == {cases["description"]}
    assert found("88 便利店") == {cases["description"]}


QUERIES = (
    "退款未到账",
    "退款",
    "美团",
    "美团外卖",
    "冲正",
    "重复扣款",
    "话费充值 到账",
    "refund",
    "REFUND 8841",
    "Starbucks",
    "Lawson",
    "付款 失败",
    "nothing like it",
    "88",
)


def test_the_row_by_row_search_sqlite_runs_finds_what_the_indexed_one_finds(cases):
    """SQLite has no trigram index: there every word is checked row by row, over the same
    columns with the same icontains. On the same rows both give the same complaints."""
    for query in QUERIES:
        assert found(query, indexed=False) == found(query, indexed=True), query
    assert found("退款未到账", indexed=False) == {cases["description"]}


def test_a_partner_searches_only_what_it_can_read(cases, agent):
    complaint = cases["partner message"]
    services.add_note(complaint=complaint, actor=agent, body="内部备注：疑似欺诈")

    assert complaint in found("疑似欺诈", places=STAFF_PLACES)
    assert complaint not in found("疑似欺诈", places=PARTNER_PLACES)
    assert complaint in found("重复扣款", places=PARTNER_PLACES)


def test_the_search_keeps_the_scope_it_is_given(cases, partner):
    mine = Complaint.objects.filter(partner=partner)
    assert set(search_complaints(mine, "扣款")) == {cases["partner message"]}
    assert set(search_complaints(mine, "")) == set(mine)


# On PostgreSQL: the trigram indexes, and the database locale they need for Chinese.


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of test rows: the planner would read them all; priced as a big table.
        cursor.execute("ANALYZE")
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


def test_the_test_database_classifies_chinese_as_letters_for_pg_trgm(require_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SHOW lc_ctype")
        (ctype,) = cursor.fetchone()
        cursor.execute("SELECT show_trgm('退款未到账'), show_trgm(UPPER('退款未到账'))")
        trigrams, upper_trigrams = cursor.fetchone()
    assert ctype not in ("C", "POSIX"), ctype
    # "  退", " 退款", "退款未", "款未到", "未到账", "账 ": a word of five letters.
    assert len(trigrams) == 6 and trigrams == upper_trigrams


def test_a_chinese_phrase_is_looked_up_in_every_place_by_its_trigram_index(cases, require_postgres):
    # Every message is a complaint's, as in production: the messages' index by case type
    # narrows nothing, and the planner sees it once there are more than a handful.
    complaint = cases["plain"]
    CustomerMessage.objects.bulk_create(
        CustomerMessage(
            case=complaint,
            case_reference=complaint.reference,
            direction="in",
            channel="sms",
            kind="customer_reply",
            address="+8613800000000",
            body_text=f"第{number}条短信：收到，谢谢",
            status="received",
        )
        for number in range(3000)
    )
    with connection.cursor() as cursor:
        # GIN keeps its statistics from its last build or VACUUM (autovacuum's, on a live
        # database); a test's transaction can do neither, so its indexes are built again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # DDL waits for no deferred check
        for index in ("custmsg_text_trgm", "custmsg_subject_trgm"):
            cursor.execute(f"REINDEX INDEX {index}")
    plan = plan_of(Complaint.objects.filter(search_q("退款未到账")))

    for index in (
        "complaint_description_trgm",
        "complaint_merchant_trgm",
        "complaint_txn_reference_trgm",
        "complaintnote_body_trgm",
        "partnermessage_body_trgm",
        "custmsg_text_trgm",
        "custmsg_subject_trgm",
    ):
        assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_a_two_character_word_after_a_longer_one_is_checked_on_its_candidates(cases, require_postgres):
    plan = plan_of(Complaint.objects.filter(search_q("退款未到账 88")))

    assert "Bitmap Index Scan on complaint_description_trgm" in plan, plan
    assert "Seq Scan on complaints_complaint " not in plan, plan


def test_the_test_database_is_created_with_the_configured_ctype():
    from casework.core.postgresql.base import DatabaseCreation

    def suffix(**test) -> str:
        settings = SimpleNamespace(settings_dict={"TEST": {"CHARSET": None, **test}}, ops=connection.ops)
        return DatabaseCreation(settings).sql_table_creation_suffix()

    # Only template0 may be copied under another LC_CTYPE than its own.
    assert suffix(CTYPE="C.UTF-8") == "WITH LC_CTYPE 'C.UTF-8' TEMPLATE template0"
    assert suffix(CHARSET="UTF8", CTYPE="en_US.UTF-8", TEMPLATE="mine") == (
        "WITH ENCODING 'UTF8' TEMPLATE \"mine\" LC_CTYPE 'en_US.UTF-8'"
    )
    assert suffix() == ""
    with pytest.raises(ImproperlyConfigured):
        suffix(CTYPE="C'; DROP DATABASE x; --")

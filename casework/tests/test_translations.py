"""Staff who choose Simplified Chinese see what casework draws in it: the shared models'
names, columns, filters and forms, the supervisors' dashboard, and on every case type's
change form the transition block, the timeline and the field changes, as a superuser
sees them."""

# The Chinese the pages show is written with its own (full-width) punctuation.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.models import SlaPolicy
from casework.tests.admin import admin_url, assert_chinese, visible_text
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state


@pytest.fixture
def complaints_by_state(agent, technician, partner) -> dict[str, Complaint]:
    states = (State.RECEIVED, State.IN_PROGRESS, State.ESCALATED, State.RESOLVED)
    return {
        state: complaint_in_state(state, agent=agent, technician=technician, partner=partner)
        for state in states
    }


def test_the_dashboard_on_the_index_is_in_chinese(chinese_admin, complaints_by_state):
    text = visible_text(chinese_admin.get(reverse("admin:index")))
    assert_chinese(
        text,
        shows=(
            "主管看板",
            "需立即关注",
            "今日到期",
            "服务时限达成率，最近 30 天",
            "首次接触解决率",
            "未结案件（按状态）",
        ),
        hides=(
            "Supervisors' dashboard",
            "Needs attention now",
            "Due today",
            "SLA compliance",
            "Backlog by age",
        ),
    )


@pytest.mark.parametrize(
    ("model", "shows", "hides"),
    [
        ("slapolicy", ("服务时限策略", "首次响应", "案件类型", "启用"), ("SLA policies", "first response")),
        ("slaclock", ("服务时限计时", "服务时限状态", "已延长"), ("SLA status", "is extended")),
        (
            "transitionrecord",
            ("流转记录", "案件编号", "导出轨迹（CSV）"),
            ("Transition records", "Export the trail"),
        ),
        ("notification", ("通知", "收件方", "立即投递（仅限待发送的通知）"), ("Deliver now", "recipient")),
        (
            "partnerapikey",
            ("合作方 API 密钥", "吊销时间"),
            ("Partner API keys", "signed requests"),
        ),
        ("partner", ("合作方", "Webhook 密钥", "频率限制"), ("webhook secret", "rate limit")),
        ("team", ("团队", "邮箱", "代码"), ("Teams", "mailbox")),
        (
            "businesscalendar",
            ("工作日历", "国家代码", "工作日开始时间"),
            ("Business calendars", "country code"),
        ),
        ("reveallog", ("查看记录", "字段名", "结果"), ("Reveal logs", "field name")),
    ],
)
def test_each_changelist_is_in_chinese(chinese_admin, complaints_by_state, model, shows, hides):
    text = visible_text(chinese_admin.get(reverse(f"admin:casework_{model}_changelist")))
    assert_chinese(text, shows=("案件通用：日历、服务时限、审计、发件箱", *shows), hides=hides)


def test_change_and_add_forms_are_in_chinese(chinese_admin, complaints_by_state):
    policy = SlaPolicy.objects.order_by("pk").first()
    text = visible_text(chinese_admin.get(reverse("admin:casework_slapolicy_change", args=[policy.pk])))
    assert_chinese(
        text,
        shows=("修改服务时限策略", "首次响应时限", "发送延期答复后的时限"),
        hides=("First response target", "Warn this many minutes"),
    )
    text = visible_text(chinese_admin.get(reverse("admin:casework_partnerapikey_add")))
    assert_chinese(
        text,
        shows=("新增合作方 API 密钥", "请求必须签名", "写权限包含读权限", "投诉：提交、撤回和读取"),
        hides=("Requests must be signed", "Write includes read", "complaints: read"),
    )
    text = visible_text(chinese_admin.get(reverse("admin:casework_transitionrecord_export")))
    assert_chinese(
        text,
        shows=("导出审计轨迹", "起始日", "全部案件类型"),
        hides=("Export the audit trail", "every case type"),
    )


@pytest.mark.parametrize("state", [State.RECEIVED, State.IN_PROGRESS, State.ESCALATED, State.RESOLVED])
def test_a_case_change_form_shows_casework_parts_in_chinese(chinese_admin, complaints_by_state, state):
    text = visible_text(chinese_admin.get(admin_url(complaints_by_state[state])))
    assert_chinese(
        text,
        shows=("时间线", "字段变更", "状态流转", "登记", "首次响应", "解决期限"),
        hides=(
            "Move the case",
            "Timeline",
            "Field changes",
            "SLA status",
            "resolution due",
            "Nothing recorded",
        ),
    )


def test_case_changelist_filters_are_in_chinese(chinese_admin, complaints_by_state):
    text = visible_text(chinese_admin.get(reverse("admin:complaints_complaint_changelist")))
    assert_chinese(
        text,
        shows=("服务时限状态", "未结案件", "未结时长", "解决于最近", "解决期限", "即将到期", "不足 1 天"),
        hides=("SLA status", "open cases", "open for", "resolved in the last", "under 1 day"),
    )


@pytest.mark.parametrize(
    ("state", "transition", "shows"),
    [
        (State.RESOLVED, "close", ('value="关闭"', "备注", "随此次状态流转保存在时间线中。")),
        (State.RECEIVED, "reject", ('value="驳回"', "原因")),
    ],
)
def test_transition_pages_are_in_chinese(chinese_admin, complaints_by_state, state, transition, shows):
    page = chinese_admin.get(admin_url(complaints_by_state[state], "transition", transition))
    assert_chinese(
        visible_text(page) + " " + page.content.decode(),
        shows=(*shows, "取消", "案件概要", "下一期限："),
        hides=("Remark", "Kept with the transition", "Apply", "Cancel", "Next deadline"),
    )


def test_a_refused_transition_says_why_in_chinese(chinese_admin, complaints_by_state, agent):
    received = complaints_by_state[State.RECEIVED]
    chinese_admin.force_login(agent)
    page = chinese_admin.get(admin_url(received, "transition", "close"), follow=True)
    assert "无法对此投诉执行“关闭”：其当前状态为" in visible_text(page)


def test_a_desk_the_migrations_made_is_named_in_the_readers_language(db):
    from django.utils import translation

    from casework.models import Team

    technical = Team.objects.get(code="technical")
    with translation.override("zh-hans"):
        assert str(technical) == "技术团队"
    with translation.override("en"):
        assert str(technical) == "Technical team"
    technical.name = "Ledger investigations"
    with translation.override("zh-hans"):
        assert str(technical) == "Ledger investigations"  # a name typed in the admin is shown as typed


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_one_date_and_time_format_in_both_languages(language):
    """Lists, histories and forms print a time one way, in the reader's time zone."""
    import datetime as dt

    from django.utils import formats, timezone, translation

    moment = dt.datetime(2026, 12, 2, 6, 12, tzinfo=dt.UTC)
    with translation.override(language):
        local = timezone.localtime(moment)
        assert formats.date_format(local, "DATETIME_FORMAT") == "2026-12-02 14:12"
        assert formats.date_format(local, "SHORT_DATETIME_FORMAT") == "2026-12-02 14:12"
        assert formats.date_format(local.date(), "DATE_FORMAT") == "2026-12-02"
        assert formats.localize(local) == "2026-12-02 14:12"


def test_django_admin_phrases_that_read_stiffly_are_reworded_in_chinese(client, supervisor):
    """locale_overrides/ goes before Django's catalog: "选择要修改的投诉", not "选择 投诉 来修改"."""
    from django.urls import reverse

    client.force_login(supervisor)
    page = client.get(reverse("admin:complaints_complaint_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    text = page.content.decode()
    assert "来修改" not in text and "以 " not in text
    assert " 按" in text  # the filters' headings


def test_a_case_pages_title_reads_as_one_phrase_in_chinese(client, supervisor, agent):
    from django.urls import reverse

    from complaints.tests.factories import register

    complaint = register(agent)
    client.force_login(supervisor)
    page = client.get(
        reverse("admin:complaints_complaint_change", args=[complaint.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "修改投诉" in page and "修改 投诉" not in page


def test_an_empty_recent_actions_box_reads_as_nothing_yet_in_chinese(client, auditor):
    from django.urls import reverse

    client.force_login(auditor)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "暂无记录" in page and "无可选的" not in page

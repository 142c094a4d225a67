"""Staff who choose Simplified Chinese see the complaints admin in it: the model's names,
its filters, its fieldsets, its transition buttons and forms, as a superuser sees them."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from casework.tests.admin import admin_url, assert_chinese, visible_text
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state

CHANGELIST = reverse("admin:complaints_complaint_changelist")
ADD = reverse("admin:complaints_complaint_add")


@pytest.fixture
def complaints_by_state(agent, technician, partner) -> dict[str, Complaint]:
    states = (State.RECEIVED, State.IN_PROGRESS, State.ESCALATED, State.AWAITING_CUSTOMER, State.RESOLVED)
    return {
        state: complaint_in_state(state, agent=agent, technician=technician, partner=partner)
        for state in states
    }


def test_changelist_names_filters_and_choices_in_chinese(chinese_admin, complaints_by_state):
    text = visible_text(chinese_admin.get(CHANGELIST))
    assert_chinese(
        text,
        shows=(
            "投诉",
            "状态",
            "类别",
            "渠道",
            "优先级",
            "下一期限",  # the list's columns: the turn became the holder (issue 15)
            "经办人",
            "处理人",
            "电话热线",
            "交易失败或异常",
            "等待客户",
        ),
        hides=(
            "Select complaint to change",
            "Add complaint",
            "By state",
            "By category",
            "phone hotline",
            "transaction failed or abnormal",
            "awaiting customer",
            "in progress",
            "Assigned to",
        ),
    )


def test_add_form_in_chinese(chinese_admin, db):
    text = visible_text(chinese_admin.get(ADD))
    assert_chinese(
        text,
        shows=(
            "新增投诉",
            "客户",
            "事情经过",
            "客户姓名",
            "客户电话",
            "交易流水号",
            "手机型号、操作系统、App 版本。",
        ),
        hides=(
            "Add complaint",
            "What happened",
            "Customer name",
            "Customer phone",
            "Transaction reference",
            "A transaction complaint needs its time",
            "Phone model, OS, app version.",
        ),
    )


def test_change_form_of_a_received_complaint_in_chinese(chinese_admin, complaints_by_state):
    text = visible_text(chinese_admin.get(admin_url(complaints_by_state[State.RECEIVED])))
    assert_chinese(
        text,
        shows=(
            "推进投诉",
            "受理",
            "驳回",
            "撤回",
            "记录身份核验",
            "处理归属",
            "处理结果",
            "关联案件",
            "已接收",
        ),
        hides=(
            "Move the complaint",
            "Record identity verification",
            "Send holding response",
            "Who holds it",
            "Linked cases",
            "Identity verified at",
            "Resolution summary",
            "messages with the partner",
        ),
    )


def test_change_form_of_a_resolved_complaint_in_chinese(chinese_admin, complaints_by_state):
    text = visible_text(chinese_admin.get(admin_url(complaints_by_state[State.RESOLVED])))
    assert_chinese(
        text,
        shows=("重新打开", "关闭", "已解决", "首次接触解决", "已退款或入账", "解决时间"),
        hides=("Reopen", "Is first contact resolution", "refunded or credited", "Resolved at"),
    )


@pytest.mark.parametrize("state", [State.RECEIVED, State.IN_PROGRESS, State.ESCALATED, State.RESOLVED])
def test_every_transition_page_is_in_chinese(chinese_admin, complaints_by_state, state):
    complaint = complaints_by_state[state]
    # Each with its own page; merge is a step with its form (complaints.merge_step).
    pages = admin.site._registry[Complaint].transition_services
    names = [
        transition.name
        for transition in complaint.get_available_state_transitions()
        if transition.name in pages
    ]
    assert names
    english_labels = {
        "accept": "Accept",
        "reject": "Reject",
        "start": "Start work",
        "escalate": "Escalate",
        "return_findings": "Return findings",
        "wait_for_customer": "Wait for customer",
        "customer_replied": "Customer replied",
        "resolve": "Resolve",
        "reopen": "Reopen",
        "close": "Close",
        "withdraw": "Withdraw",
    }
    for name in names:
        response = chinese_admin.get(admin_url(complaint, "transition", name))
        if response.status_code == 302:  # refused at once (an unmet condition): the message says why
            continue
        text = visible_text(response)
        assert english_labels[name] + ":" not in text, name
        assert english_labels[name] + " " not in text, name


def test_transition_forms_in_chinese(chinese_admin, complaints_by_state):
    escalate = visible_text(
        chinese_admin.get(admin_url(complaints_by_state[State.IN_PROGRESS], "transition", "escalate"))
    )
    assert_chinese(
        escalate,
        shows=("升级", "团队", "原因", "该团队的邮箱会收到升级通知。"),
        hides=(
            "Escalate",
            "The team's mailbox receives an escalation notice.",
            "What the team should look at.",
        ),
    )
    resolve = visible_text(
        chinese_admin.get(admin_url(complaints_by_state[State.ESCALATED], "transition", "resolve"))
    )
    assert_chinese(
        resolve,
        shows=("解决", "处理结果", "摘要", "首次接触解决", "已退款或入账"),
        hides=("Resolved on first contact", "Outcome", "refunded or credited", "Summary"),
    )


def test_refusal_of_an_unverified_accept_in_chinese(chinese_admin, complaints_by_state):
    response = chinese_admin.get(
        admin_url(complaints_by_state[State.RECEIVED], "transition", "accept"), follow=True
    )
    text = visible_text(response)
    assert "来电人身份尚未核验" in text
    assert "The caller's identity has not been verified" not in text

"""The refunds admin in Simplified Chinese: a superuser who chose zh-hans (the language
cookie the admin's header sets) sees our words in Chinese on every refund page: the list,
its filters, the add form, the change form and each transition's and step's page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from casework.tests.admin import admin_url, visible_text
from refunds.models import RefundCase, RefundState

pytestmark = pytest.mark.usefixtures("media_root")

CHANGELIST = reverse("admin:refunds_refundcase_changelist")
ADD = reverse("admin:refunds_refundcase_add")
TRANSACTIONS = reverse("admin:refunds_paymenttransaction_changelist")

# Our English, which must not show through: verbose names, a filter's title and
# lookups, column headers, fieldsets, transition buttons, help texts.
ENGLISH = (
    "Refund cases",
    "refund case",
    "Payment transactions",
    "awaiting approval",
    "second approval (four eyes)",
    "refund deadline",
    "Original transaction",
    "Where it came from",
    "Move the refund",
    "Start review",
    "Request evidence",
    "Submit to payments",
    "Retry payment",
    "Assign handler",
    "Add evidence",
    "What the customer asks for",
    "still refundable",
    "under review",
    "awaiting evidence",
    "goods or service not received",
)


def assert_in_chinese(text: str, *expected: str) -> None:
    for chinese in expected:
        assert chinese in text, f"{chinese!r} is not shown"
    shown = [english for english in ENGLISH if re.search(rf"\b{re.escape(english)}\b", text)]
    assert not shown, f"still in English: {shown}"


def test_the_changelist_and_its_filters_are_in_chinese(chinese_admin, refund_case_in):
    refund_case_in(RefundState.UNDER_REVIEW)
    text = visible_text(chinese_admin.get(CHANGELIST))
    assert_in_chinese(text, "退款案件", "审核中", "等待审批", "双人复核", "下一期限", "截止时间")


def test_the_add_form_is_in_chinese(chinese_admin):
    text = visible_text(chinese_admin.get(ADD))
    assert_in_chinese(
        text, "新增退款案件", "原始交易", "交易编号", "申请金额", "退款类型", "未收到商品或服务"
    )


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        (RefundState.REQUESTED, ("已申请", "推进退款", "开始审核", "驳回", "取消", "指派处理人", "添加证据")),
        (RefundState.UNDER_REVIEW, ("审核中", "索取证据", "批准", "驳回", "取消")),
        (RefundState.AWAITING_EVIDENCE, ("等待证据", "已收到证据", "添加证据")),
        (RefundState.APPROVED, ("已批准", "提交支付", "取消")),
        (RefundState.FAILED, ("支付失败", "重新支付", "失败原因")),
        (RefundState.REFUNDED, ("已退款", "支付指令", "已结算", "结算时间")),
    ],
)
def test_the_change_form_is_in_chinese_in_each_state(chinese_admin, refund_case_in, state, shown):
    case = refund_case_in(state)
    text = visible_text(chinese_admin.get(admin_url(case)))
    assert_in_chinese(text, "修改退款案件", "来源", "决定", "仍可退款金额", *shown)


def transition_pages(case: RefundCase) -> list[tuple[str, str]]:
    return [
        (admin_url(case, "transition", name), label)
        for name, label in {
            RefundState.REQUESTED: {"start_review": "开始审核", "reject": "驳回", "cancel": "取消"},
            RefundState.UNDER_REVIEW: {"request_evidence": "索取证据", "approve": "批准"},
            RefundState.AWAITING_EVIDENCE: {"evidence_received": "已收到证据"},
            RefundState.APPROVED: {"submit_to_payments": "提交支付"},
            RefundState.FAILED: {"retry": "重新支付"},
        }[case.state].items()
    ]


@pytest.mark.parametrize(
    "state",
    [
        RefundState.REQUESTED,
        RefundState.UNDER_REVIEW,
        RefundState.AWAITING_EVIDENCE,
        RefundState.APPROVED,
        RefundState.FAILED,
    ],
)
def test_each_transition_page_is_in_chinese(chinese_admin, refund_case_in, state):
    case = refund_case_in(state)
    for url, label in transition_pages(case):
        assert_in_chinese(visible_text(chinese_admin.get(url)), label)


def test_the_step_pages_are_in_chinese(chinese_admin, refund_case_in):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    assign = visible_text(chinese_admin.get(admin_url(case, "step", "assign-handler")))
    assert_in_chinese(assign, "指派处理人", "处理人", "退款组的成员。")
    evidence = visible_text(chinese_admin.get(admin_url(case, "step", "add-evidence")))
    assert_in_chinese(evidence, "添加证据", "类型", "文件", "支付凭证")


def test_the_transactions_are_in_chinese(chinese_admin, refund_case_in):
    case = refund_case_in(RefundState.REQUESTED)
    assert_in_chinese(visible_text(chinese_admin.get(TRANSACTIONS)), "支付交易", "商户")
    page = reverse("admin:refunds_paymenttransaction_change", args=[case.transaction.pk])
    assert_in_chinese(visible_text(chinese_admin.get(page)), "仍可退款金额", "退款案件")

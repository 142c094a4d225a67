"""Staff who choose Simplified Chinese see the accounts admin in Chinese: the models,
fields, filters, transition buttons and forms of this app, none of it left in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.models import RequestState
from casework.tests.admin import admin_url

from .factories import request_in_state, wallet_account

CATALOG = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

pytestmark = pytest.mark.usefixtures("media_root")


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["Content-Language"] == "zh-hans"
    return response.content.decode()


def _catalog() -> list[tuple[list[str], str]]:
    """(references, msgid) of each entry of this app's catalog."""
    entries = []
    for block in CATALOG.read_text().split("\n\n"):
        lines = block.splitlines()
        references = [where for line in lines if line.startswith("#: ") for where in line[3:].split()]
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, flags=re.M)
        if msgid:
            text = "".join(re.findall(r'"(.*)"', msgid.group(1))).replace('\\"', '"')
            entries.append((references, text))
    return entries


def _english_phrases() -> list[str]:
    """This app's multi-word source strings a page draws (placeholders cut). Not the services':
    the reasons they record are kept in the language of whoever acted, as the timeline shows."""
    phrases = []
    for references, msgid in _catalog():
        if not msgid or all(where.startswith("services.py") for where in references):
            continue
        for part in re.split(r"%\(\w+\)s|\{\w+\}", msgid):
            part = part.strip(" .:;,()")
            if " " in part:
                phrases.append(part)
    return phrases


def _assert_no_english(content: str) -> None:
    # The text shown, not the markup (URLs and attribute names are English by nature).
    shown = re.sub(r"<[^>]+>", " ", content)
    left = [phrase for phrase in _english_phrases() if escape(phrase) in shown]
    assert not left, left


@pytest.fixture
def requests_in_states(agent, supervisor):
    return {
        state: request_in_state(state, agent=agent, reviewer=supervisor, authenticated=True)
        for state in (RequestState.SUBMITTED, RequestState.IDENTITY_VERIFIED, RequestState.PENDING_REVIEW)
    }


def test_the_changelist_speaks_chinese(chinese_admin, requests_in_states):
    content = _page(chinese_admin, reverse("admin:accounts_accountrequest_changelist"))
    for chinese in (
        "账户申请",
        "锁定原因",
        "下一期限",  # the next deadline column; "needs risk officer" became a flag (issue 15)
        "密码错误次数过多",
        "账户锁定与解锁申请",
        "已提交",
    ):
        assert chinese in content
    for english in ("account requests", "Lock reason", "needs risk officer", "too many wrong passwords"):
        assert english not in content
    _assert_no_english(content)


def test_the_add_form_speaks_chinese(chinese_admin):
    content = _page(chinese_admin, reverse("admin:accounts_accountrequest_add"))
    for chinese in ("客户陈述", "已向客户作出的解释", "仅用于锁定", "账户号码"):
        assert chinese in content
    for english in ("What the customer says", "customer statement", "For a lock only"):
        assert english not in content
    _assert_no_english(content)


@pytest.mark.parametrize(
    ("state", "buttons"),
    [
        (RequestState.SUBMITTED, ("核验身份", "取消")),
        (RequestState.IDENTITY_VERIFIED, ("收集认证", "提交审核")),
        (RequestState.PENDING_REVIEW, ("批准", "驳回")),
    ],
)
def test_the_change_form_speaks_chinese_in_each_state(chinese_admin, requests_in_states, state, buttons):
    content = _page(chinese_admin, admin_url(requests_in_states[state]))
    for chinese in (
        "推进申请",
        "来源",
        "客户陈述",
        "时间线",
        "已提交" if state == RequestState.SUBMITTED else "身份已核验",
    ):
        assert chinese in content
    for chinese in buttons:
        assert chinese in content
    for english in ("Move the request", "Where it came from", "Verify identity", "Submit for review"):
        assert english not in content
    _assert_no_english(content)


@pytest.mark.parametrize(
    ("state", "view", "name", "chinese"),
    [
        (RequestState.SUBMITTED, "transition", "verify_identity", "核验身份"),
        (RequestState.SUBMITTED, "transition", "cancel", "留空则视为应客户要求取消"),
        (RequestState.IDENTITY_VERIFIED, "step", "collect-authentication", "收集凭证的人不能审批该申请"),
        (RequestState.IDENTITY_VERIFIED, "transition", "submit_for_review", "提交审核"),
        (RequestState.PENDING_REVIEW, "transition", "approve", "批准"),
        (RequestState.PENDING_REVIEW, "transition", "reject", "驳回"),
    ],
)
def test_each_transition_page_speaks_chinese(chinese_admin, requests_in_states, state, view, name, chinese):
    content = _page(chinese_admin, admin_url(requests_in_states[state], view, name))
    assert chinese in content
    _assert_no_english(content)


def test_the_evidence_form_speaks_chinese(chinese_admin, requests_in_states):
    url = admin_url(requests_in_states[RequestState.IDENTITY_VERIFIED], "step", "collect-authentication")
    content = _page(chinese_admin, url)
    for chinese in ("短信验证码", "人脸核验", "通过", "未通过", "核验了什么"):
        assert chinese in content
    for english in ("SMS one-time code", "face check", "What was checked"):
        assert english not in content


def test_wallet_accounts_speak_chinese(chinese_admin, requests_in_states):
    account = requests_in_states[RequestState.SUBMITTED].account
    listing = _page(chinese_admin, reverse("admin:accounts_walletaccount_changelist"))
    for chinese in ("钱包账户", "持有人姓名", "密码错误次数", "已锁定"):
        assert chinese in listing
    _assert_no_english(listing)
    page = _page(chinese_admin, admin_url(account))
    assert "申请" in page
    assert "wallet account" not in page
    _assert_no_english(page)


def test_a_refusal_is_said_in_chinese(chinese_admin):
    account = wallet_account(status="active")
    response = chinese_admin.post(
        reverse("admin:accounts_accountrequest_add"),
        {"account_number": account.account_number, "kind": "unlock"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert f"账户 {account.account_number} 状态正常" in content
    assert "无需解锁" in content
    assert "there is nothing to unlock" not in content


def test_english_stays_the_source_language():
    with translation.override("en"):
        assert str(RequestState.PENDING_REVIEW.label) == "pending review"
    with translation.override("zh-hans"):
        assert str(RequestState.PENDING_REVIEW.label) == "待审核"

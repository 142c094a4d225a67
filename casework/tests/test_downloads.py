"""Staff open uploaded files through one authorised download (casework.admin.downloads):
only those who may see the case and its files, each download logged like a reveal,
answered as an attachment that is never sniffed nor cached; media has no public path."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.urls import Resolver404, resolve, reverse

from accounts import services as account_services
from accounts.tests.factories import wallet_account
from casework.models import FileDownload
from casework.tests import files
from casework.tests.admin import admin_url
from casework.tests.users import make_user
from complaints import services as complaint_services
from complaints.tests.factories import register
from refunds import services as refund_services
from refunds.tests.factories import open_refund

pytestmark = pytest.mark.usefixtures("media_root")


def refund_evidence(agent, name: str = "voucher.png", content: bytes = files.PNG):
    case = open_refund(agent)
    return refund_services.add_evidence(
        case=case, actor=agent, kind="payment_voucher", file=files.upload(name, content)
    )


def download_url(record) -> str:
    meta = record._meta
    return reverse("admin:casework_filedownload_download", args=[meta.app_label, meta.model_name, record.pk])


def test_a_role_that_may_see_the_case_downloads_the_file_as_an_attachment_and_it_is_logged(client, agent):
    evidence = refund_evidence(agent)
    client.force_login(agent)

    response = client.get(download_url(evidence), REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == files.PNG
    assert response["Content-Type"] == "image/png"
    assert (
        response["Content-Disposition"]
        == "attachment; filename=\"voucher.png\"; filename*=UTF-8''voucher.png"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    log = FileDownload.objects.get()
    assert (log.user, log.case, log.case_reference, log.outcome) == (
        agent,
        evidence.case,
        evidence.case.reference,
        FileDownload.Outcome.DOWNLOADED,
    )
    assert (log.file_type.model_class(), log.file_id, log.file_name) == (
        type(evidence),
        evidence.pk,
        evidence.file.name,
    )
    assert log.address == "10.1.2.3"
    assert log.downloaded_at is not None


def test_a_chinese_file_name_is_given_in_rfc_5987_form_with_an_ascii_fallback(client, agent):
    evidence = refund_evidence(agent, name="付款凭证 1.pdf", content=files.PDF)
    client.force_login(agent)

    response = client.get(download_url(evidence))

    stored_name = evidence.file.name.rpartition("/")[2]
    assert stored_name == "付款凭证_1.pdf"  # as Django keeps an uploaded name
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"1.pdf\"; filename*=UTF-8''{quote(stored_name, safe='')}"
    )


def test_a_role_that_may_not_see_the_files_is_refused_with_a_403_and_the_try_is_logged(
    client, agent, risk_officer
):
    # A risk officer reads complaints, not their attachments.
    complaint = register(agent)
    attachment = complaint_services.add_attachment(
        complaint=complaint, actor=agent, file=files.upload("receipt.png", files.PNG)
    )
    client.force_login(risk_officer)

    response = client.get(download_url(attachment))

    assert response.status_code == 403
    assert not getattr(response, "streaming", False)
    log = FileDownload.objects.get()
    assert (log.user, log.case, log.outcome) == (risk_officer, complaint, FileDownload.Outcome.REFUSED)


def test_a_role_without_the_case_types_permission_is_refused(client, agent, db):
    desk = make_user("refunds.zhou", "refunds desk")  # no account requests at all
    request = account_services.open_account_request(
        actor=agent, account_number=wallet_account().account_number, customer_statement="Locked out."
    )
    request = account_services.verify_identity(request=request, actor=agent, method="callback")
    evidence = account_services.add_evidence(
        request=request,
        actor=agent,
        method="id_document",
        outcome="passed",
        file=files.upload("id-card.jpg", files.JPEG),
    )
    client.force_login(desk)

    assert client.get(download_url(evidence)).status_code == 403
    assert FileDownload.objects.get().outcome == FileDownload.Outcome.REFUSED


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_nothing_is_logged(client, agent):
    evidence = refund_evidence(agent)

    response = client.get(download_url(evidence))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not FileDownload.objects.exists()


def test_a_file_that_is_not_there_is_a_404(client, agent):
    evidence = refund_evidence(agent)
    client.force_login(agent)
    meta = evidence._meta
    missing = reverse(
        "admin:casework_filedownload_download", args=[meta.app_label, meta.model_name, evidence.pk + 1]
    )
    not_a_file = reverse(
        "admin:casework_filedownload_download", args=["refunds", "refundcase", evidence.case.pk]
    )

    assert client.get(missing).status_code == 404
    assert client.get(not_a_file).status_code == 404
    assert not FileDownload.objects.exists()


def test_the_admin_links_every_file_to_the_download_never_to_media(client, agent):
    evidence = refund_evidence(agent)
    request = account_services.open_account_request(
        actor=agent, account_number=wallet_account().account_number, customer_statement="Locked out."
    )
    request = account_services.verify_identity(request=request, actor=agent, method="callback")
    scan = account_services.add_evidence(
        request=request,
        actor=agent,
        method="id_document",
        outcome="passed",
        file=files.upload("id.png", files.PNG),
    )
    complaint = register(agent)
    attachment = complaint_services.add_attachment(
        complaint=complaint, actor=agent, file=files.upload("receipt.pdf", files.PDF)
    )
    client.force_login(agent)

    for case, record in ((evidence.case, evidence), (request, scan), (complaint, attachment)):
        page = client.get(admin_url(case)).content.decode()
        assert f'href="{download_url(record)}"' in page
        assert f"/{django_settings.MEDIA_URL}" not in page


def test_media_has_no_route_even_under_debug(client, agent, settings):
    settings.DEBUG = True
    evidence = refund_evidence(agent)
    client.force_login(agent)

    with pytest.raises(Resolver404):
        resolve(f"/{settings.MEDIA_URL}{evidence.file.name}")
    assert client.get(f"/{settings.MEDIA_URL}{evidence.file.name}").status_code == 404


def test_media_inside_the_public_static_folder_is_refused_at_start_up(tmp_path):
    environment = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "MEDIA_ROOT": str(tmp_path / "static" / "uploads"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
    )
    assert started.returncode != 0
    assert "MEDIA_ROOT must lie outside STATIC_ROOT" in started.stderr


def test_the_download_log_is_read_by_auditors_and_never_changed(client, agent, auditor):
    evidence = refund_evidence(agent)
    client.force_login(agent)
    client.get(download_url(evidence))
    log = FileDownload.objects.get()

    client.force_login(auditor)
    listing = client.get(reverse("admin:casework_filedownload_changelist"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [log]
    assert (
        client.post(reverse("admin:casework_filedownload_delete", args=[log.pk]), {"post": "yes"}).status_code
        == 403
    )
    with pytest.raises(ValueError, match="never changed"):
        log.save()
    with pytest.raises(ValueError, match="never deleted"):
        log.delete()
    assert FileDownload.objects.count() == 1


# Partners: the API shows evidence as metadata only, and only on the partner's own cases.


def test_a_partner_never_gets_a_file_address_nor_another_partners_evidence(api, other_api, partner, client):
    case = open_refund(partner.user, partner=partner)
    evidence = refund_services.add_evidence(
        case=case, actor=partner.user, kind="payment_voucher", file=files.upload("voucher.png", files.PNG)
    )
    url = f"/api/v1/refund-cases/{case.reference}/evidence/"

    own = api.get(url)
    assert own.status_code == 200
    assert [row["file_name"] for row in own.json()["results"]] == ["voucher.png"]
    assert download_url(evidence) not in own.content.decode()
    assert "/media/" not in own.content.decode()

    assert other_api.get(url).status_code == 404
    # The partner's key opens no staff door: the download asks for a staff login.
    response = client.get(download_url(evidence), HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"])
    assert response.status_code == 302
    assert not FileDownload.objects.exists()

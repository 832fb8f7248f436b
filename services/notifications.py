"""E-mail about finished scheduled runs and backfills, over SMTP (the SMTP_URL setting).

SMTP_URL: ``smtp://[user:password@]host[:port]`` (STARTTLS when the server offers it with
``?starttls=1``), or ``smtps://…`` for TLS from the start. Unset: nothing is sent.
A failure to send is logged and never fails the run.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.orm import Session

from db.models import ReportDataCollection, ReportDefinition, ReportExecution

log = logging.getLogger(__name__)

#: The sender of every notification.
SENDER = "Report Builder <reportbuilder@localhost>"
#: Seconds to wait for the SMTP server.
SMTP_TIMEOUT_S = 10


@dataclass(frozen=True)
class Message:
    to: tuple[str, ...]
    subject: str
    body: str


def send(smtp_url: str, message: Message) -> None:
    parts = urlsplit(smtp_url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:password@host:port")
    email = EmailMessage()
    email["From"] = SENDER
    email["To"] = ", ".join(message.to)
    email["Subject"] = message.subject
    email.set_content(message.body)
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(parts.hostname, port, timeout=SMTP_TIMEOUT_S)
    else:
        client = smtplib.SMTP(parts.hostname, port, timeout=SMTP_TIMEOUT_S)
    with client:
        if parts.scheme == "smtp" and parse_qs(parts.query).get("starttls") == ["1"]:
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(email)


def _deliver(smtp_url: str | None, message: Message) -> bool:
    if not smtp_url or not message.to:
        return False
    try:
        send(smtp_url, message)
    except (OSError, smtplib.SMTPException, ValueError):
        # The URL may hold a password: log the failure, not the URL.
        log.warning("notification e-mail not sent", exc_info=True)
        return False
    return True


def _window(execution: ReportExecution) -> str:
    if execution.time_window_start is None or execution.time_window_end is None:
        return ""
    last = execution.time_window_end.date() - timedelta(days=1)
    return f"{execution.time_window_start.date().isoformat()} to {last.isoformat()}"


def notify_run_end(session: Session, smtp_url: str | None, execution: ReportExecution) -> bool:
    """Mail the report's recipients about a finished scheduled run; True when sent."""
    if execution.triggered_by != "schedule" or execution.report_uuid is None:
        return False
    report = session.get_one(ReportDefinition, execution.report_uuid)
    outcome = {
        "completed": f"completed with {execution.row_count or 0} rows",
        "failed": f"failed: {execution.error_message or 'no message'}",
        "cancelled": "was cancelled",
    }.get(execution.status, execution.status)
    message = Message(
        to=tuple(report.notification_emails or ()),
        subject=f"[Report Builder] {report.name}: scheduled run {execution.status}",
        body=(
            f'The scheduled run {execution.execution_id} of the report "{report.name}" '
            f"({report.report_id}) {outcome}.\nPeriod: {_window(execution)}\n"
        ),
    )
    return _deliver(smtp_url, message)


def notify_backfill_end(
    session: Session, smtp_url: str | None, collection: ReportDataCollection
) -> bool:
    """Mail the report's recipients once a whole backfill has ended; True when sent."""
    if collection.report_uuid is None or collection.status in {"pending", "running"}:
        return False
    report = session.get_one(ReportDefinition, collection.report_uuid)
    cancelled = max(
        0,
        collection.total_segments - collection.completed_segments - collection.failed_segments,
    )
    message = Message(
        to=tuple(report.notification_emails or ()),
        subject=f"[Report Builder] {report.name}: backfill {collection.status}",
        body=(
            f'The backfill {collection.collection_id} of the report "{report.name}" '
            f"({report.report_id}) has ended: {collection.status}.\n"
            f"Segments: {collection.completed_segments} completed, "
            f"{collection.failed_segments} failed, "
            f"{cancelled} cancelled, of {collection.total_segments}.\n"
            f"Period: {collection.start_date.isoformat()} to {collection.end_date.isoformat()}\n"
        ),
    )
    return _deliver(smtp_url, message)

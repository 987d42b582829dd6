"""``GET /api/v1/admin/queues?token=…``: the operator's read-only queue page (decision 0054).

The page is what ``GET /admin/operations/queue-link`` links to, in place of the original's
Bull-Board: server-rendered HTML with no script, no outside asset (it works offline) and one
inline style sheet the ``Content-Security-Policy`` names by its hash. The link's token is its
only credential: it is checked against the clock, its admin must still be active and signed
in, and each opening is in the audit trail. It shows the task queues of
``infrastructure/shared/tasks.py`` (pending, processing and failed work, the oldest pending
age, live workers) and the latest failed operations with their error. It has no form and
answers ``GET`` only. A refused link is ``401`` with the error envelope: as JSON, or inside a
small HTML page for a browser that asks for HTML.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from datetime import datetime
from typing import Any

from litestar import MediaType, Request, Response
from litestar.di import NamedDependency
from litestar.params import FromQuery

from application.admin.queues import AdminQueues, QueueReport
from domain.shared.errors import DomainError
from domain.shared.ids import public_id
from interfaces.http.errors import error_response
from interfaces.http.request_id import correlation_of
from interfaces.http.routing import Access, Limit, get

PAGE_PATH = "/admin/queues"
PAGE_URL = f"/api/v1{PAGE_PATH}"
"""Where the page is served (the API router's prefix is ``/api/v1``)."""

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
p.meta { color: #555; margin: 0 0 1rem; }
table { border-collapse: collapse; min-width: 40rem; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f5; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { color: #a40000; font-weight: 600; }
code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
pre { background: #f6f6f6; padding: 1rem; border: 1px solid #ddd; white-space: pre-wrap; }
"""
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
POLICY = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Nothing but the page's own style sheet: no script, no image, no form, never framed."""
HEADERS = {
    "Content-Security-Policy": POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
"""``no-referrer``: the link's token never leaves in a ``Referer``; ``no-store``: the page
is not kept by a cache (it names customers and their errors)."""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _when(moment: datetime) -> str:
    return html.escape(moment.isoformat(timespec="seconds"))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = int(seconds)
    if whole < 120:
        return f"{whole} s"
    if whole < 7200:
        return f"{whole // 60} min"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def render(report: QueueReport) -> str:
    """The page for ``report`` (every value escaped)."""
    queue_rows = "".join(
        "<tr>"
        f"<td><code>{html.escape(q.queue)}</code></td>"
        f"<td>{html.escape(q.work)}</td>"
        f'<td class="n">{q.pending}</td>'
        f'<td class="n">{"—" if q.processing is None else q.processing}</td>'
        f'<td class="n{" bad" if q.failed else ""}">{q.failed}</td>'
        f'<td class="n">{_age(q.waited_seconds(report.now))}</td>'
        "</tr>"
        for q in report.queues
    )
    failed_rows = (
        "".join(
            "<tr>"
            f"<td><code>{html.escape(public_id('operation', f.operation_id))}</code></td>"
            f"<td><code>{html.escape(public_id('customer', f.customer_id))}</code></td>"
            f"<td>{html.escape(f.type)}</td>"
            f"<td>{_when(f.failed_at)}</td>"
            f'<td class="n">{f.attempts}</td>'
            f"<td><code>{html.escape((f.error or {}).get('code', ''))}</code></td>"
            f"<td>{html.escape((f.error or {}).get('message', ''))}</td>"
            "</tr>"
            for f in report.failed
        )
        or '<tr><td colspan="7">No failed operation.</td></tr>'
    )
    workers = f"{report.workers} worker process{'' if report.workers == 1 else 'es'} alive"
    body = f"""<h1>Task queues</h1>
<p class="meta">As of {_when(report.now)} · {html.escape(workers)} · opened by
{html.escape(report.admin_email)} · read-only: reload to refresh; ask
<code>GET /api/v1/admin/operations/queue-link</code> for a new link when this one expires.</p>
<table id="queues">
<thead><tr><th>Queue</th><th>Work</th><th>Pending</th><th>Processing</th><th>Failed</th>
<th>Oldest pending</th></tr></thead>
<tbody>{queue_rows}</tbody>
</table>
<h2>Latest failed operations</h2>
<table id="failed">
<thead><tr><th>Operation</th><th>Customer</th><th>Type</th><th>Failed at</th><th>Attempts</th>
<th>Error</th><th>Message</th></tr></thead>
<tbody>{failed_rows}</tbody>
</table>"""
    return _page("Hatched · task queues", body)


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    return request.accept.best_match(["application/json", "text/html"]) == "text/html"


def refused_page(request: Request[Any, Any, Any], refused: DomainError) -> Response[str]:
    """The refusal's envelope, inside a page a browser shows (same status, same body)."""
    answer = error_response(request, refused.code, refused.message, refused.details)
    envelope = json.dumps(answer.content, indent=2, default=str)
    body = (
        f"<h1>{html.escape(refused.message)}</h1>\n"
        '<p class="meta">Ask <code>GET /api/v1/admin/operations/queue-link</code> for a new'
        " link.</p>\n"
        f'<pre id="error">{html.escape(envelope)}</pre>'
    )
    return Response(
        _page("Hatched · link refused", body),
        status_code=answer.status_code,
        media_type="text/html; charset=utf-8",
        headers=HEADERS,
    )


@get(
    PAGE_PATH,
    access=Access.PUBLIC,
    limit=Limit.NONE,
    errors=("unauthorized", "forbidden"),
    include_in_schema=False,
    media_type=MediaType.HTML,
    summary="The operator's read-only queue page (the signed link is the credential)",
)
def queue_page(
    request: Request[Any, Any, Any],
    admin_queues: NamedDependency[AdminQueues],
    token: FromQuery[str | None] = None,
) -> Response[str]:
    try:
        report = admin_queues.open(token, correlation_of(request))
    except DomainError as refused:
        if refused.code in ("unauthorized", "forbidden") and _wants_html(request):
            return refused_page(request, refused)
        raise
    return Response(render(report), media_type="text/html; charset=utf-8", headers=HEADERS)

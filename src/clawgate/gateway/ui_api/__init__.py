"""The control UI's server side (issue 8).

- the page and its assets: `GET /` and `GET /ui/static/<file>` (plain files from `clawgate/ui/static`, no build
  step; public, they hold no data);
- the login: `POST /api/ui/login-codes` (gateway token required: `clawgate dashboard` asks for a one-time code),
  `GET /ui/login?code=…` (trades it for an HttpOnly, SameSite=Strict cookie holding a random session id that
  `GatewayAuth` accepts from then on), `POST /api/ui/logout`;
- the JSON the views read, each built from the same resolver, health registry, attempt log, probes and doctor
  as the CLI: `/api/ui/session`, `/api/ui/overview`, `/api/ui/agents`, `/api/ui/providers`,
  `POST /api/ui/probe`, `/api/ui/failures`, `POST /api/ui/doctor`, and `/api/ui/events` (SSE: what changed).

Sessions and chat use the sessions API (docs/sessions-api.md) directly, with the same cookie. Every JSON answer
passes the process-wide redactor on its way out: credentials only ever appear as source and fingerprint.

Modules: `routes` (the URL table and thin endpoints), `respond` (JSON, errors, the auth guard, SSE), `views`
(overview, agents, providers, doctor, the change digest), `failures` (the Failures view and next commands),
`probe` (the Probe button).
"""

from clawgate.gateway import extensions

from .routes import ui_routes

__all__ = ["ui_routes"]

extensions.register(ui_routes)

#!/bin/sh
# The container's entrypoint. Migrations run only when asked (TABLECLOTH_MIGRATE_ON_START=true):
# with several app containers, migrate once by hand (`python -m app migrate`) instead.
# With arguments it runs them (for example `python -m app create-facilitator …`); without,
# it serves. uvicorn trusts X-Forwarded-* only from FORWARDED_ALLOW_IPS (default 127.0.0.1):
# set it to the proxy's address.
set -eu

if [ "${TABLECLOTH_MIGRATE_ON_START:-false}" = "true" ]; then
    python -m app migrate
fi

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

exec uvicorn app.main:create_app --factory --loop app.serving:new_event_loop \
    --http app.serving:HeaderTimeout --ws app.serving:SpreadPings --timeout-keep-alive 5 \
    --host 0.0.0.0 --port 8000 \
    --workers "${TABLECLOTH_WORKERS:-1}" --proxy-headers

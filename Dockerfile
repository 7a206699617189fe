# Tablecloth: `docker build -t tablecloth .` (docker-compose.yml runs it with PostgreSQL and Redis).
# Stage 1 fetches the pinned front-end packages from npm; stage 2 is the service, non-root.

FROM node:22-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error
# The same copies as the Makefile's $(VENDOR)/.copied target (tests/house/test_deploy_files.py checks).
RUN mkdir -p app/static/vendor/swagger-ui \
    && cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/dist/ext/hx-ws.min.js app/static/vendor/ \
    && cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css app/static/vendor/swagger-ui/


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/tablecloth

# Dependencies first (pinned in pyproject.toml, no dev extras), so code changes reuse this layer.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep=chr(10))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The code. Templates, static files, alembic.ini and migrations/ are read from this tree, so the
# package is installed in place (editable) rather than copied without its data files.
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
COPY scripts/docker-entrypoint.sh ./scripts/docker-entrypoint.sh
COPY --from=assets /build/app/static/vendor ./app/static/vendor
# The translation catalogues are compiled here, as `make translations` does (never committed).
RUN pip install --no-deps -e . \
    && pybabel compile -d app/translations \
    && chmod 0755 scripts/docker-entrypoint.sh \
    && useradd --system --user-group --uid 10001 --home-dir /srv/tablecloth --shell /usr/sbin/nologin tablecloth \
    && mkdir -p /data/media \
    && chown -R tablecloth:tablecloth /data

# SQLite in the volume when run alone; docker-compose.yml points it at PostgreSQL.
ENV TABLECLOTH_MODE=production \
    TABLECLOTH_DATABASE_URL=sqlite:////data/tablecloth.db \
    TABLECLOTH_MEDIA_DIR=/data/media \
    TABLECLOTH_WORKERS=1 \
    TABLECLOTH_MIGRATE_ON_START=false

# The code stays root-owned and read-only to the service; only /data is writable.
USER tablecloth
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

ENTRYPOINT ["/srv/tablecloth/scripts/docker-entrypoint.sh"]

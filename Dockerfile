# Demo Bank container: gunicorn behind a non-root user, data in a volume.
# Production mode: it refuses to start without real settings, for example
#   docker run -p 8000:8000 -v demobank-data:/app/data \
#     -e SECRET_KEY="$(openssl rand -base64 48)" -e ADMIN_PASSWORD='a long admin passphrase' \
#     -e PUBLIC_BASE_URL=https://bank.example.com \
#     -e VIDOS_AUTHORIZER_URL=https://authorizer.example.com -e VIDOS_API_KEY=... demobank
# A public sandbox demo (anyone can sign in as any test identity, play money) sets
# ALLOW_SANDBOX_IN_PRODUCTION=1 instead of VIDOS_*. See README "Security". The bank's own
# verifier for real wallets sets AUTHORIZER=local with VERIFIER_KEY_PATH, VERIFIER_CERT_PATH
# and TRUSTED_ISSUER_CA_PATH (files mounted read-only); see README "Docker".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DEMOBANK_ENV=production \
    DATABASE_PATH=/app/data/demobank.db \
    FLASK_APP=wsgi \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 10001 demobank

# Dependencies first, in their own cached layer: only pyproject.toml invalidates it.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip install . \
    && pip uninstall -y demobank \
    && rm -rf app

COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY wsgi.py gunicorn.conf.py ./
RUN mkdir -p /app/data && chown demobank:demobank /app/data

USER demobank
VOLUME ["/app/data"]
EXPOSE 8000
ENTRYPOINT ["sh", "-c", "flask db upgrade && exec gunicorn -c gunicorn.conf.py wsgi:app"]

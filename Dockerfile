# Photobot: slim image, non-root, runs `photobot`. Redis: set REDIS_URL, or leave it unset and
# the bundled redis-server runs inside the container with its data in /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-compile . \
    && useradd --create-home --uid 10001 photobot \
    && mkdir -p /data && chown photobot:photobot /data
USER photobot
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz').status != 200)"
CMD ["photobot"]

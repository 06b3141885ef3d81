# syntax=docker/dockerfile:1
# The riskreg image: web (gunicorn), worker and beat all run it (docker-compose.yml).
#   docker build -t riskreg:latest .                           # add --build-arg EXTRAS=[s3] for S3
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The C libraries WeasyPrint loads at run time (Pango for text layout, HarfBuzz for shaping and
# font subsetting, fontconfig, GLib's MIME data). The fonts packs use ship in static/fonts.
# https://doc.courtbouillon.org/weasyprint/stable/first_steps.html
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        libfontconfig1 \
        shared-mime-info \
    && rm -rf /var/lib/apt/lists/*

# A fixed unprivileged account (uid 10001) that owns only what it writes: the media and beat
# volumes and its home (fontconfig's cache).
RUN groupadd --system --gid 10001 riskreg \
    && useradd --system --uid 10001 --gid riskreg --create-home --home-dir /home/riskreg riskreg

WORKDIR /app

# Dependencies first, in their own layer, rebuilt only when pyproject.toml changes.
# pyproject.toml declares no packages ([tool.setuptools] packages = []): a non-editable install
# brings the dependencies and no code; the code is the source tree copied below and found on
# PYTHONPATH. README.md is the project's readme, which the build reads.
ARG EXTRAS=""
COPY pyproject.toml README.md ./
RUN pip install ".${EXTRAS}"

COPY . .

ENV PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=riskreg.settings.production \
    DJANGO_STATIC_ROOT=/app/var/staticfiles \
    DJANGO_MEDIA_ROOT=/app/var/media

# Hashed, compressed static files for whitenoise (CompressedManifestStaticFilesStorage). The
# production settings refuse to load without a secret key and allowed hosts; these throwaway
# values live only in this RUN (the real ones come from .env at run time).
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    DJANGO_ALLOWED_HOSTS=build.invalid \
        python manage.py collectstatic --noinput \
    && install -d -o riskreg -g riskreg /app/var/media /app/var/beat

USER riskreg
EXPOSE 8000
# web; the worker, beat and migrate services give their own command.
CMD ["gunicorn", "--config", "gunicorn.conf.py"]

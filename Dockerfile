FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# OpenCV (under the offline OCR, rapidocr-onnxruntime) loads libGL and glib even headless.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected at build time; the key is a throwaway used only here.
RUN SECRET_KEY=build-only-collectstatic-key python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --create-home app \
    && mkdir -p /app/media \
    && chown -R app:app /app/media

USER app

EXPOSE 8000

CMD ["gunicorn", "arbitration.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]

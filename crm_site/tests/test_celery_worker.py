"""A real Celery worker process, on Redis, consumes a task sent from here."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("CELERY_BROKER_URL", "")


@pytest.fixture
def redis_url():
    if not REDIS_URL.startswith("redis://"):
        if settings.REQUIRE_SERVICES:
            pytest.fail("CELERY_BROKER_URL must point at Redis when REQUIRE_SERVICES is set")
        pytest.skip("CELERY_BROKER_URL is not a Redis URL")
    return REDIS_URL


def test_real_worker_on_redis_completes_a_task(redis_url):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    result_backend = redis_url.rsplit("/", 1)[0] + "/15"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm_site.settings.test",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": result_backend,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm_site",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = Celery("probe", broker=redis_url, backend=result_backend)
    try:
        async_result = client.send_task("crm_site.health_check", queue=queue)
        answer = async_result.get(timeout=60)
        assert async_result.successful()
        assert answer["pid"] == worker.pid  # the solo pool runs the task in the worker process itself
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        client.close()
    assert "Traceback" not in output, output

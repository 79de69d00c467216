"""One Redis per embedded instance: a running service publishes its URL under instance/, flask commands join it."""

from __future__ import annotations

from storage import redis_conn
from tests.servers import free_port


def test_a_published_live_redis_is_joined_and_a_stale_file_is_ignored(tmp_path, redis_url):
    assert redis_conn.published_url(tmp_path) is None
    redis_conn.publish_url(tmp_path, redis_url)
    assert redis_conn.resolve_url("embedded", tmp_path) == redis_url
    assert redis_conn.resolve_url("redis://elsewhere:6379/0", tmp_path) == "redis://elsewhere:6379/0"
    # another instance's file is not withdrawn by us
    redis_conn.withdraw_url(tmp_path, "redis://127.0.0.1:1/0")
    assert (tmp_path / redis_conn.URL_FILE).exists()
    redis_conn.withdraw_url(tmp_path, redis_url)
    assert not (tmp_path / redis_conn.URL_FILE).exists()
    # a service that died without cleaning up: its URL no longer answers, so it is not used
    redis_conn.publish_url(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    assert redis_conn.published_url(tmp_path) is None

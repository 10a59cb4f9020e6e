from pathlib import Path

from app.queue import embedded_redis_url


def test_the_embedded_redis_socket_is_under_instance(tmp_path: Path) -> None:
    assert embedded_redis_url(str(tmp_path)) == f"unix://{tmp_path.resolve()}/redis.sock"


def test_a_deep_instance_folder_gets_a_short_socket_path_every_process_agrees_on(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    url = embedded_redis_url(str(deep))
    assert len(url.removeprefix("unix://")) <= 107
    assert url == embedded_redis_url(str(deep)) != embedded_redis_url(str(tmp_path / "other" / ("e" * 120)))

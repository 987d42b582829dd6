"""Processes started together on a fresh database each create the tables they need."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from infrastructure.shared.settings import Settings
from interfaces.container import Container, build_container


def test_containers_built_at_once_on_a_fresh_database_all_start(settings: Settings) -> None:
    """``hatched serve``, ``hatched projector`` and workers start together in production;
    their ``CREATE TABLE IF NOT EXISTS`` statements must not collide."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        built = list(pool.map(lambda _: build_container(settings), range(4)))
    try:
        assert all(isinstance(container, Container) for container in built)
        assert len({id(container.store) for container in built}) == 4
    finally:
        for container in built:
            container.close()

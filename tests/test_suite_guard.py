"""pytest exits 5 when nothing ran; this keeps a filtered-to-nothing run visible too."""

from tests.conftest import BACKENDS


def test_backends_are_known() -> None:
    assert BACKENDS, "HATCHED_TEST_BACKENDS selects no backend"
    assert set(BACKENDS) <= {"sqlite", "postgres"}, BACKENDS

import pytest

from install_support import make_wheelhouse


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory):
    """One PyPI round per session; every install test installs from it."""
    return make_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))

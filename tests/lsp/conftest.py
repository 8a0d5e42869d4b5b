import pytest_lsp
from lsp_support import CONFIG
from lsprotocol import types
from pytest_lsp import LanguageClient


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient):
    # Each test initialises with its own workspace and capability profile.
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams):
        lsp_client.registrations.extend(params.registrations)

    yield lsp_client
    await lsp_client.shutdown_session()

"""How the web app reaches Neuronpedia: the app's settings, plus a key typed in the UI if any."""
from __future__ import annotations

from agp_dash.clients.neuronpedia import NeuronpediaClient
from agp_dash.clients.neuronpedia_backend import NeuronpediaBackend
from agp_dash.graphs.backends import GraphBackend, get_backend
from agp_dash.web import keyring
from agp_dash.web.services import services

SERVICE = "neuronpedia"
# Extra NeuronpediaClient keyword arguments (tests shorten the retry back-off through this).
CLIENT_OPTIONS: dict = {}


def neuronpedia_client() -> NeuronpediaClient:
    settings = services().settings
    return NeuronpediaClient.from_settings(settings, api_key=keyring.current_key(SERVICE) or None, **CLIENT_OPTIONS)


def key_status(session_id: str | None) -> str:
    if keyring.get_key(session_id, SERVICE):
        return "entered in this session"
    return "from NEURONPEDIA_API_KEY" if services().settings.neuronpedia_api_key else "not set"


def backend_for(name: str) -> GraphBackend:
    """The registered backend, except that Neuronpedia uses the app's settings and the session's key.

    (A per-call instance rather than a replacement in the global registry: the CLI and other
    apps in the same process keep theirs.)
    """
    backend = get_backend(name)
    if isinstance(backend, NeuronpediaBackend):
        return NeuronpediaBackend(client_factory=neuronpedia_client)
    return backend

"""Errors that carry a message meant for the user (CLI line, UI alert), never a traceback."""


class AgpError(Exception):
    """Base class: ``str(err)`` is a complete, user-facing sentence."""


class InputError(AgpError):
    """The user's input (a file, a parameter, a prompt) is not usable as given."""


class BackendError(AgpError):
    """A backend (Neuronpedia, an OpenAI-compatible endpoint, the local engine) failed."""

"""hello-app: a tiny web app for deployer's examples and tests."""
from importlib.metadata import version as _version

NAME = "hello-app"


def app_version() -> str:
    # Read from the installed wheel's metadata, so the answer proves which release runs.
    return _version(NAME)

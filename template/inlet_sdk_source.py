"""The default answer of `inlet_git_url`: the repository this template was
generated from, so that a fork's template fetches the fork's SDK.

Cookiecutter loads this module as a Jinja extension (`_extensions` in
template/cookiecutter.json) from the template's directory. That directory is
inside a git checkout in every case where a URL exists: `cookiecutter
gh:ORG/REPO` or a git URL clones the repository, whose `origin` is that URL;
a local checkout has the `origin` it was cloned from. Anywhere else (a local
tree without `origin`, an unpacked archive) the default is empty, and the
pre_gen_project hook asks for an answer.
"""

import pathlib
import subprocess

from jinja2.ext import Extension

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def _git(*args: str):
    try:
        result = subprocess.run(["git", "-C", str(REPOSITORY), *args], capture_output=True,
                                text=True)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def template_origin_url() -> str:
    """The `origin` URL of the repository holding this template, or "" when the
    template is not the top of a git checkout with an `origin` remote."""
    top = _git("rev-parse", "--show-toplevel")
    if not top or pathlib.Path(top).resolve() != REPOSITORY:
        return ""  # Not a checkout of its own: a parent repository's origin is not the SDK.
    return _git("remote", "get-url", "origin") or ""


class SdkSourceExtension(Extension):
    """Gives templates `inlet_template_origin()`."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals["inlet_template_origin"] = template_origin_url

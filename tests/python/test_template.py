"""The template (cookiecutter.json and template/), baked by the real cookiecutter.

Every input kind, with and without the Python package, is generated, then
configured, built and tested against the SDK installed from this tree (through
find_package, with FetchContent disconnected: no network). The generated tree
is checked as its own CI would: pre-commit changes nothing, the workflows pass
actionlint, zizmor and the workflow schema, and no template syntax survives.
The Python variants are pip-installed into this venv and run under Bytewax.
A seventh bake with answers that need escaping (quotes, backslashes) and
transliterating (a non-ASCII name) goes through the same checks. Nothing is
formatted at bake time, so the pre-commit check is the first run of a fresh
repository; the sources are also checked with the pinned clang-format for
names of every length the hook accepts. `cruft create/check/diff/update` run
on a git copy of the template, and sp-repo-review fails only the checks the
generated README lists. Every validation rule of the pre_gen_project hook has
a test.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = pathlib.Path(sys.executable).parent
KINDS = ("partitioned", "dynamic", "subject")
VARIANTS = [(kind, python) for kind in KINDS for python in ("no", "yes")]
# Free text that must be escaped in TOML, CMake and Python, and a name that
# must be transliterated to ASCII for the slug, the package and the class.
TRICKY = {"project_name": "Orders Feed \u00dcnicode",
          "description": 'Reads "quoted" C:\\data\\ paths & $HOME into a stream',
          "author_name": 'J\u00f6hn "JD" O\\Brien'}


def _env(**extra) -> dict:
    """The environment with this venv's tools first on PATH."""
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("CMAKE_PREFIX_PATH", None)
    env.update(extra)
    return env


def _run(command, cwd, timeout=900, env=None) -> subprocess.CompletedProcess:
    """Runs `command`; on failure, fails the test with its output."""
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                            text=True, timeout=timeout, env=env or _env())
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed in {cwd}:\n"
                    f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
    return result


def bake(output_dir: pathlib.Path, template=ROOT, flags=(), **answers) -> subprocess.CompletedProcess:
    """`cookiecutter --no-input <template> key=value...` into `output_dir`, with
    cookiecutter's clones and replay files kept beside it, not in the home."""
    if template == ROOT:  # A local tree may have no origin to derive the SDK's URL from.
        answers = {"inlet_git_url": f"file://{ROOT}", **answers}
    output_dir.mkdir(parents=True, exist_ok=True)
    config = output_dir.parent / f"{output_dir.name}-cookiecutter.yaml"
    config.write_text(f"cookiecutters_dir: {output_dir.parent / (output_dir.name + '-clones')}\n"
                      f"replay_dir: {output_dir.parent / (output_dir.name + '-replay')}\n")
    command = [VENV_BIN / "cookiecutter", "--no-input", *flags, "--config-file", config, template,
               "--output-dir", output_dir, *(f"{key}={value}" for key, value in answers.items())]
    return subprocess.run([str(part) for part in command], capture_output=True, text=True,
                          timeout=120, env=_env())


def project_name(kind: str, python: str) -> str:
    return f"Orders {kind.title()}{' Py' if python == 'yes' else ''}"


BAKES = [dict(project_name=project_name(k, p), input_kind=k, python_package=p)
         for k, p in VARIANTS] + [dict(TRICKY, input_kind="dynamic", python_package="yes")]


@pytest.fixture(scope="module", params=BAKES,
                ids=[f"{k}-python-{p}" for k, p in VARIANTS] + ["tricky-answers"])
def baked(request, tmp_path_factory) -> pathlib.Path:
    """A repository generated with one input kind and Python answer (and one
    with answers that need escaping and transliterating)."""
    output = tmp_path_factory.mktemp("bake")
    result = bake(output, **request.param)
    assert result.returncode == 0, result.stderr
    (project,) = output.iterdir()
    return project


def answers_of(project: pathlib.Path) -> dict:
    return json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]


def test_defaults_generate_a_partitioned_connector_without_python(tmp_path):
    result = bake(tmp_path)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "my-connector"
    answers = answers_of(project)
    assert (answers["input_kind"], answers["python_package"]) == ("partitioned", "no")
    assert "class MyConnector final : public inlet::PartitionedInput" in (
        project / "include/my_connector/connector.h").read_text()


def test_a_git_url_of_this_repository_works_too(tmp_path):
    """`cookiecutter <git URL>` clones the repository and finds the template in
    it; .cruft.json then names the URL and the commit it was made from."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    out = tmp_path / "out"
    result = bake(out, template=f"git+file://{ROOT}", input_kind="subject")
    assert result.returncode == 0, result.stderr
    cruft = json.loads((out / "my-connector" / ".cruft.json").read_text())
    assert (cruft["template"], cruft["commit"]) == (f"file://{ROOT}", head)
    assert "class MyConnector final : public inlet::ConnectorSubject" in (
        out / "my-connector/include/my_connector/connector.h").read_text()


def test_generated_repository_builds_and_passes_its_tests(baked, installed_sdk):
    _run(["cmake", "--preset", "dev", f"-DCMAKE_PREFIX_PATH={installed_sdk}",
          "-DFETCHCONTENT_FULLY_DISCONNECTED=ON"], baked)
    _run(["cmake", "--build", "--preset", "dev"], baked)
    result = _run(["ctest", "--preset", "dev"], baked)
    summary = re.search(r"100% tests passed, 0 tests failed out of (\d+)", result.stdout)
    assert summary, result.stdout[-3000:]
    # The connector's own tests and the eleven conformance cases.
    assert int(summary.group(1)) >= 14
    conformance = re.findall(r"\.(\w+)<\(anonymous namespace\)::\w+Harness> \.+ +Passed",
                             result.stdout)
    assert "SigkillMidStreamThenResumeLosesNothing" in conformance or (
        answers_of(baked)["input_kind"] == "dynamic")


def test_the_program_prints_every_line_it_read(baked, installed_sdk):
    slug = answers_of(baked)["project_slug"]
    program = baked / "build" / "dev" / slug
    if not program.exists():
        pytest.skip("the build test did not build the program")
    data = sorted((baked / "data").glob("*.txt"))
    result = _run([program, "--workers=2", *data], baked)
    expected = [line for path in data for line in path.read_text().splitlines()]
    assert sorted(json.loads(line) for line in result.stdout.splitlines()) == sorted(expected)
    assert f"{slug}: {len(expected)} items" in result.stderr


def test_no_template_syntax_survives(baked):
    leftovers = []
    for path in baked.rglob("*"):
        if not path.is_file() or "build" in path.relative_to(baked).parts:
            continue
        text = path.read_text(errors="replace")
        # GitHub's own expressions, ${{ ... }}, belong in workflows.
        if path.parent.name == "workflows":
            text = re.sub(r"\$\{\{[^{}]*\}\}", "", text)
        for marker in ("{{", "{%", "{#", "}}", "%}"):
            if marker in text:
                leftovers.append(f"{path.relative_to(baked)}: {marker}")
    assert not leftovers


def test_python_files_exist_only_when_asked_for(baked):
    python = answers_of(baked)["python_package"] == "yes"
    for name in ("pyproject.toml", "python", "examples/bytewax_flow.py", "tests/python"):
        assert (baked / name).exists() == python, name
    workflows = (baked / ".github/workflows/release.yml").read_text()
    assert ("pypa/gh-action-pypi-publish" in workflows) == python


def test_pre_commit_passes_and_changes_nothing(baked):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    if not (baked / ".git").exists():
        _run([*git, "init", "-q"], baked)
    _run([*git, "add", "-A"], baked)  # .gitignore keeps build/ out.
    result = subprocess.run([VENV_BIN / "pre-commit", "run", "--all-files", "--color=never"],
                            cwd=baked, capture_output=True, text=True, timeout=900, env=_env())
    changed = subprocess.run(["git", "diff", "--stat"], cwd=baked, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]
    assert changed.stdout == ""


def test_workflows_pass_actionlint_zizmor_and_the_schema(baked):
    workflows = sorted((baked / ".github/workflows").glob("*.yml"))
    assert [p.name for p in workflows] == ["ci.yml", "release.yml"]
    _run([VENV_BIN / "actionlint", *workflows], baked)
    result = _run([VENV_BIN / "zizmor", "--offline", *workflows], baked)
    assert "No findings" in result.stdout + result.stderr
    _run([VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows",
          *workflows], baked)
    _run([VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.dependabot",
          baked / ".github/dependabot.yml"], baked)


def test_actions_are_pinned_to_commit_shas_and_permissions_are_per_job(baked):
    for path in (baked / ".github/workflows").glob("*.yml"):
        text = path.read_text()
        for action, ref in re.findall(r"uses: ([\w./-]+)@(\S+)", text):
            assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path.name}: {action}@{ref}"
        assert re.search(r"^permissions:", text, re.M), path.name
    release = (baked / ".github/workflows/release.yml").read_text()
    assert "permissions: {}" in release
    assert 'tags: ["v*"]' in release and "does not match version" in release


def test_cruft_json_records_the_template_and_the_answers(baked):
    """The template is named by this checkout's origin URL (where `cruft
    update` fetches from), or by its path when it has no origin."""
    cruft = json.loads((baked / ".cruft.json").read_text())

    def git(*args):
        result = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return result.stdout.strip() or None

    assert cruft["directory"] == "template"
    assert cruft["commit"] == git("rev-parse", "HEAD")
    assert cruft["template"] == (git("config", "--get", "remote.origin.url") or str(ROOT))
    answers = cruft["context"]["cookiecutter"]
    assert answers["project_name"] in [b["project_name"] for b in BAKES]


def test_python_package_installs_and_runs_under_bytewax(baked, installed_sdk, inlet_package):
    answers = answers_of(baked)
    if answers["python_package"] != "yes":
        pytest.skip("generated without the Python package")
    if answers["project_name"] == TRICKY["project_name"]:
        pytest.skip("the dynamic Python variant is installed already; the tricky answers' "
                    "pyproject.toml is parsed by test_tricky_answers_are_escaped")
    env = _env(CMAKE_PREFIX_PATH=str(installed_sdk))
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "--no-build-isolation", "--no-deps",
          "--config-settings=cmake.define.FETCHCONTENT_FULLY_DISCONNECTED=ON", "."],
         baked, env=env)
    try:
        # The generated repository's own tests: its connector and its example
        # flow on two workers under the real Bytewax runtime.
        result = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], baked,
                      env=env)
        # Two tests of the module alone and three under Bytewax.
        assert re.search(r"\b5 passed\b", result.stdout), result.stdout[-2000:]
    finally:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes",
                        answers["project_slug"]], capture_output=True)


def test_fetchcontent_fallback_builds_against_a_local_sdk_checkout(tmp_path):
    """With no installed SDK, CMake takes the SDK from FETCHCONTENT_SOURCE_DIR_INLET."""
    assert bake(tmp_path).returncode == 0
    project = tmp_path / "my-connector"
    configure = _run(["cmake", "--preset", "dev", f"-DFETCHCONTENT_SOURCE_DIR_INLET={ROOT}",
                      "-DFETCHCONTENT_FULLY_DISCONNECTED=ON",
                      "-DCMAKE_DISABLE_FIND_PACKAGE_inlet=ON"], project)
    cache = (project / "build/dev/CMakeCache.txt").read_text()
    assert f"FETCHCONTENT_SOURCE_DIR_INLET:PATH={ROOT}" in cache, configure.stdout
    _run(["cmake", "--build", "--preset", "dev", "--target", "my-connector", "connector_test"],
         project)
    _run([project / "build/dev/tests/connector_test"], project)


# Each rule of template/hooks/pre_gen_project.py: an answer it rejects and the
# words of the message that must name the problem.
BAD_ANSWERS = [
    ({"project_name": " "}, "project_name ' ': give a name of printable characters"),
    ({"project_slug": "Orders Feed"}, "project_slug 'Orders Feed': a repository name is"),
    ({"project_slug": "orders--feed"}, "project_slug 'orders--feed'"),
    ({"package_name": "Orders"}, "package_name 'Orders': use lowercase letters"),
    ({"package_name": "delete"}, "package_name 'delete': is a C++ keyword"),
    ({"package_name": "inlet"}, "package_name 'inlet': the name is taken"),
    ({"connector_class": "Orders-Feed"}, "connector_class 'Orders-Feed': the connector class "
                                         "must be a C++ identifier"),
    ({"connector_class": "class"}, "connector_class 'class': the connector class is a C++ keyword"),
    ({"connector_class": "Orders__Feed"}, "connector_class 'Orders__Feed': the connector class "
                                          "contains '__'"),
    ({"connector_class": "ordersFeed"}, "connector_class 'ordersFeed': write the class name in "
                                        "CamelCase"),
    ({"cpp_namespace": "acme::2feed"}, "cpp_namespace '2feed': each namespace part must be"),
    ({"cpp_namespace": "acme::new"}, "cpp_namespace 'new': each namespace part is a C++ keyword"),
    ({"cpp_namespace": "acme::::feed"}, "cpp_namespace '(empty)'"),
    ({"cpp_namespace": "std::feed"}, "cpp_namespace 'std::feed': 'std' belongs to a dependency"),
    ({"cpp_namespace": "acme::MyConnector"}, "a namespace named like the class 'MyConnector'"),
    ({"author_email": "jane.example.com"}, "author_email 'jane.example.com': give an address"),
    ({"github_owner": "-acme"}, "github_owner '-acme': a GitHub user or organization"),
    ({"version": "1.0"}, "version '1.0': write a version as MAJOR.MINOR.PATCH"),
    ({"inlet_version": "latest"}, "inlet_version 'latest': write a version"),
    ({"connector_class": "C" + "c" * 30}, "connector_class 'C" + "c" * 30 + "': at most 30"),
    ({"project_slug": "s" * 41}, "project_slug '" + "s" * 41 + "': at most 40 characters"),
    ({"description": "two\tparts"}, "description 'two\\tparts': write one line"),
    ({"author_email": 'jane"@example.com'}, "author_email 'jane\"@example.com'"),
    # Combinations: names C++ accepts but Python cannot import.
    ({"package_name": "lambda", "python_package": "yes"},
     "package_name 'lambda' with python_package 'yes': it is a Python keyword"),
    ({"package_name": "json", "python_package": "yes"},
     "package_name 'json' with python_package 'yes': it would shadow Python's standard module"),
]


@pytest.mark.parametrize("answers,message", BAD_ANSWERS,
                         ids=[",".join(f"{k}={v}" for k, v in a.items()) for a, _ in BAD_ANSWERS])
def test_hook_rejects_a_bad_answer_and_leaves_nothing(tmp_path, answers, message):
    result = bake(tmp_path, **answers)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Nothing was generated" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("package", ["lambda", "json"])
def test_names_python_cannot_import_are_fine_without_the_python_package(tmp_path, package):
    result = bake(tmp_path, package_name=package, python_package="no")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "my-connector" / "include" / package / "connector.h").exists()


@pytest.mark.parametrize("key,value,choices", [
    ("license", "GPL-3.0", "['MIT', 'Apache-2.0', 'BSD-3-Clause']"),
    ("input_kind", "stream", "['partitioned', 'dynamic', 'subject']"),
    ("python_package", "maybe", "['no', 'yes']"),
])
def test_a_choice_outside_its_list_is_rejected_before_anything_is_made(tmp_path, key, value,
                                                                       choices):
    result = bake(tmp_path, **{key: value})
    assert result.returncode != 0
    assert f"{value} provided for choice variable {key}, but the choices are {choices}" in (
        result.stderr)
    assert list(tmp_path.iterdir()) == []


def test_hook_reports_every_problem_at_once(tmp_path):
    result = bake(tmp_path, author_email="nobody", version="one", connector_class="x-y")
    assert result.returncode != 0
    for key in ("author_email 'nobody'", "version 'one'", "connector_class 'x-y'"):
        assert key in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_slug_with_a_slash_leaves_no_directory_behind(tmp_path):
    result = bake(tmp_path, project_slug="orders/feed")
    assert result.returncode != 0
    assert "project_slug 'orders/feed'" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_interactive_cookiecutter_asks_the_questions_in_order(tmp_path):
    """Without --no-input every question is asked; pressing enter takes the defaults."""
    answers = "\n" * 40
    result = subprocess.run([str(VENV_BIN / "cookiecutter"), str(ROOT), "--output-dir",
                             str(tmp_path)], input=answers, capture_output=True, text=True,
                            timeout=120, env=_env())
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "my-connector" / "CMakeLists.txt").exists()
    for prompt in ("Project name", "Connector class name", "Input kind",
                   "Also build a Python package for Bytewax?"):
        assert prompt in result.stdout


def test_tricky_answers_are_escaped_and_names_transliterated(tmp_path):
    """Quotes and backslashes in free text stay literal in TOML, CMake and the
    Python docstring; a non-ASCII name derives ASCII names."""
    import ast
    import tomllib

    result = bake(tmp_path, **TRICKY, python_package="yes")
    assert result.returncode == 0, result.stderr
    project = tmp_path / "orders-feed-unicode"
    answers = answers_of(project)
    assert (answers["package_name"], answers["connector_class"]) == (
        "orders_feed_unicode", "OrdersFeedUnicode")
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["description"] == TRICKY["description"]
    assert meta["authors"][0]["name"] == TRICKY["author_name"]
    init = project / "python/orders_feed_unicode/__init__.py"
    assert ast.get_docstring(ast.parse(init.read_text())).startswith(TRICKY["description"])
    # CMake reads the description back unchanged (configure-time only: no build).
    script = tmp_path / "read.cmake"
    cmake_lists = (project / "CMakeLists.txt").read_text()
    description = re.search(r'DESCRIPTION ("(?:[^"\\]|\\.)*")', cmake_lists).group(1)
    script.write_text(f"set(d {description})\nmessage(STATUS \"[${{d}}]\")\n")
    shown = _run(["cmake", "-P", script], tmp_path)
    assert f"[{TRICKY['description']}]" in shown.stdout + shown.stderr


def test_sharp_s_and_accents_become_ascii(tmp_path):
    assert bake(tmp_path, project_name="Straße Café").returncode == 0
    answers = answers_of(tmp_path / "strasse-cafe")
    assert (answers["package_name"], answers["connector_class"]) == ("strasse_cafe",
                                                                     "StrasseCafe")


def test_baking_over_a_directory_with_f_keeps_the_users_files(tmp_path):
    """Without the Python package, -f over an existing directory writes no
    Python file and deletes none of the user's."""
    project = tmp_path / "my-connector"
    mine = {"pyproject.toml": "[project]\nname = 'mine'\n", "python/mine.py": "x = 1\n",
            "examples/mine.py": "y = 2\n", "tests/python/test_mine.py": "z = 3\n"}
    for name, text in mine.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    result = bake(tmp_path, flags=["-f"], python_package="no")
    assert result.returncode == 0, result.stderr
    for name, text in mine.items():
        assert (project / name).read_text() == text, name
    assert (project / "include/my_connector/connector.h").exists()
    assert not (project / "python/my_connector").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_clang_format_leaves_the_sources_unchanged_for_any_name_length(tmp_path, kind):
    """Nothing formats at bake time: the sources are written as the pinned
    clang-format writes them, from the shortest names to the longest the
    hook accepts."""
    changed = []
    for length in (1, 7, 13, 19, 25, 30):
        out = tmp_path / str(length)
        result = bake(out, input_kind=kind, python_package="yes",
                      project_slug="s" * min(length + 10, 40), package_name="p" * length,
                      connector_class="C" + "c" * (length - 1), cpp_namespace="n" * length)
        assert result.returncode == 0, result.stderr
        (project,) = out.iterdir()
        for source in sorted(project.rglob("*")):
            if source.suffix not in (".h", ".cc"):
                continue
            formatted = subprocess.run([VENV_BIN / "clang-format", "--style=file", source],
                                       cwd=project, capture_output=True, text=True, check=True)
            if formatted.stdout != source.read_text():
                changed.append(f"{length}: {source.relative_to(project)}")
    assert changed == []


def _git(repo, *args):
    return _run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], repo)


def test_cruft_create_update_check_and_diff(tmp_path):
    """A git copy of the template at one commit; a repository made from it by
    `cruft create`; a later template commit arrives through `cruft update`."""
    template = tmp_path / "template-repo"
    template.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "cookiecutter.json",
                              "template"], capture_output=True, check=True).stdout
    for name in filter(None, archive.decode().split("\0")):
        (template / name).parent.mkdir(parents=True, exist_ok=True)
        (template / name).write_bytes((ROOT / name).read_bytes())
    _git(template, "init", "-q")
    _git(template, "add", "-A")
    _git(template, "commit", "-qm", "one")
    cruft = VENV_BIN / "cruft"
    out = tmp_path / "out"
    out.mkdir()
    _run([cruft, "create", "--no-input", "--directory", "template", "--extra-context",
          json.dumps({"project_name": "Orders Feed", "python_package": "yes"}),
          f"file://{template}"], out)
    project = out / "orders-feed"
    assert (project / "pyproject.toml").exists()
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "generated")
    assert "up to date" in _run([cruft, "check"], project).stdout

    # A local change shows in `cruft diff`.
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nA note of the project's own.\n")
    assert "A note of the project's own." in _run([cruft, "diff"], project).stdout
    _git(project, "commit", "-qam", "note")

    changelog = template / "template/{{cookiecutter.__project_dir}}/CHANGELOG.md"
    changelog.write_text(changelog.read_text() + "- A line the template added later.\n")
    _git(template, "commit", "-qam", "two")
    stale = subprocess.run([cruft, "check"], cwd=project, capture_output=True, text=True)
    assert stale.returncode != 0 and "out of date" in stale.stdout
    _run([cruft, "update", "-y"], project)
    assert "- A line the template added later." in (project / "CHANGELOG.md").read_text()
    assert "A note of the project's own." in readme.read_text()
    assert "up to date" in _run([cruft, "check"], project).stdout


def test_sp_repo_review_fails_only_the_checks_the_readme_lists(tmp_path):
    assert bake(tmp_path, python_package="yes").returncode == 0
    project = tmp_path / "my-connector"
    _git(project, "init", "-q")
    result = subprocess.run([VENV_BIN / "sp-repo-review", ".", "--format", "json"], cwd=project,
                            capture_output=True, text=True, timeout=300, env=_env())
    checks = json.loads(result.stdout)["checks"]
    failing = {name for name, check in checks.items() if check["result"] is False}
    readme = (project / "README.md").read_text()
    table = readme[readme.index("These are left failing"):]
    listed = set(re.findall(r"\b(?:PC|PY|PP|MY|RF|SEC|GH|RTD|NOX|GEN)\d+\b",
                            table[:table.index("\n\n", table.index("| check"))]))
    assert failing == listed
    assert len(checks) - len(failing) > 20  # Most checks apply and pass.

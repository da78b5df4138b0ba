"""Rejects answers that would generate a repository that does not build.

Runs before any file is generated; on a bad answer it prints every problem,
each with the rule and an example of a good answer, and exits with status 1.
Cookiecutter then removes the half-made project directory, so nothing is left
on disk.
"""

import json
import keyword
import pathlib
import re
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")

CPP_KEYWORDS = frozenset("""
    alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t
    char16_t char32_t class compl concept const consteval constexpr constinit const_cast
    continue co_await co_return co_yield decltype default delete do double dynamic_cast else
    enum explicit export extern false float for friend goto if inline int long mutable
    namespace new noexcept not not_eq nullptr operator or or_eq private protected public
    register reinterpret_cast requires return short signed sizeof static static_assert
    static_cast struct switch template this thread_local throw true try typedef typeid typename
    union unsigned using virtual void volatile wchar_t while xor xor_eq
    final override import module
""".split())

# Names the generated code or its tools already own.
TAKEN_NAMES = frozenset({"inlet", "std", "absl", "nlohmann", "testing", "nanobind", "bytewax",
                         "pathway", "test", "tests", "build"})

SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CLASS_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
EMAIL = re.compile(r"[^@\s\"\\<>()\[\],;:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
GITHUB_OWNER = re.compile(r"[A-Za-z0-9](-?[A-Za-z0-9]){0,38}")

# The longest names the C++ sources are laid out for: with them every
# generated line still fits clang-format's 100 columns the way the template
# writes it, so the pinned clang-format leaves a fresh repository unchanged.
MAX_LENGTHS = {"project_slug": 40, "package_name": 30, "connector_class": 30,
               "cpp_namespace": 30}


def reserved_identifier(name: str) -> bool:
    """Identifiers C++ reserves for the implementation."""
    return "__" in name or bool(re.match(r"_[A-Z]", name))


def check_cpp_name(errors: list, key: str, name: str, what: str) -> None:
    if not IDENTIFIER.fullmatch(name):
        errors.append(f"{key} {name!r}: {what} must be a C++ identifier (letters, digits and "
                      f"underscores, not starting with a digit)")
    elif name in CPP_KEYWORDS:
        errors.append(f"{key} {name!r}: {what} is a C++ keyword; pick another name "
                      f"(e.g. {name + '_feed'!r})")
    elif reserved_identifier(name):
        errors.append(f"{key} {name!r}: {what} contains '__' or starts with '_' and a capital, "
                      f"which C++ reserves")


def check_inlet_git_url(errors: list, answers: dict) -> None:
    """Its default is the template's own repository (template/inlet_sdk_source.py),
    empty when the template came from a local tree without an `origin` remote."""
    if not answers["inlet_git_url"].strip():
        where = answers.get("_repo_dir")
        source = f"the template's tree {str(pathlib.Path(where).parent)!r}" if where else "the template"
        errors.append(f"inlet_git_url '': {source} has no git 'origin' remote to fetch the SDK "
                      f"from; answer inlet_git_url with the SDK's git URL (e.g. "
                      f"inlet_git_url=https://github.com/ORG/inlet.git)")


def validate(answers: dict) -> list:
    """Returns one message per problem; empty when every answer is usable.
    (Cookiecutter itself rejects a choice outside its list.)"""
    errors = []
    name = answers["project_name"]
    if not name.strip() or not name.isprintable():
        errors.append(f"project_name {name!r}: give a name of printable characters "
                      f"(e.g. 'Orders Feed')")

    for key in ("description", "author_name"):
        value = answers[key]
        if not value.strip() or not value.isprintable():
            errors.append(f"{key} {value!r}: write one line of printable characters "
                          f"(no tabs or line breaks)")
    for key, limit in MAX_LENGTHS.items():
        if len(answers[key]) > limit:
            errors.append(f"{key} {answers[key]!r}: at most {limit} characters "
                          f"({len(answers[key])} given), so that generated lines fit 100 columns")

    slug = answers["project_slug"]
    if not SLUG.fullmatch(slug):
        errors.append(f"project_slug {slug!r}: a repository name is lowercase letters and digits "
                      f"in words joined by single dashes, starting with a letter "
                      f"(e.g. 'orders-feed')")

    package = answers["package_name"]
    if not PACKAGE.fullmatch(package):
        errors.append(f"package_name {package!r}: use lowercase letters and digits in words "
                      f"joined by single underscores, starting with a letter (e.g. 'orders_feed')")
    elif package in CPP_KEYWORDS:
        errors.append(f"package_name {package!r}: is a C++ keyword; pick another name "
                      f"(e.g. {package + '_feed'!r})")
    elif package in TAKEN_NAMES:
        errors.append(f"package_name {package!r}: the name is taken by a dependency or by the "
                      f"build; pick another (e.g. {package + '_connector'!r})")

    connector = answers["connector_class"]
    check_cpp_name(errors, "connector_class", connector, "the connector class")
    if IDENTIFIER.fullmatch(connector) and not CLASS_NAME.fullmatch(connector):
        errors.append(f"connector_class {connector!r}: write the class name in CamelCase, "
                      f"starting with a capital letter (e.g. 'OrdersFeed')")

    namespace = answers["cpp_namespace"]
    parts = namespace.split("::")
    for part in parts:
        check_cpp_name(errors, "cpp_namespace", part or "(empty)", "each namespace part")
    if parts[0] in TAKEN_NAMES:
        errors.append(f"cpp_namespace {namespace!r}: '{parts[0]}' belongs to a dependency; "
                      f"use your own (e.g. 'acme::{package}')")
    if connector in parts:
        errors.append(f"cpp_namespace {namespace!r}: a namespace named like the class "
                      f"{connector!r} hides it; rename one of them")

    email = answers["author_email"]
    if not EMAIL.fullmatch(email):
        errors.append(f"author_email {email!r}: give an address like 'jane@example.com'")

    owner = answers["github_owner"]
    if not GITHUB_OWNER.fullmatch(owner):
        errors.append(f"github_owner {owner!r}: a GitHub user or organization is 1-39 letters, "
                      f"digits or single dashes, not starting or ending with a dash")

    for key in ("version", "inlet_version"):
        if not SEMVER.fullmatch(answers[key]):
            errors.append(f"{key} {answers[key]!r}: write a version as MAJOR.MINOR.PATCH "
                          f"(e.g. '0.1.0')")

    check_inlet_git_url(errors, answers)

    if answers["python_package"] == "yes" and PACKAGE.fullmatch(package):
        if keyword.iskeyword(package) or keyword.issoftkeyword(package):
            errors.append(f"package_name {package!r} with python_package 'yes': it is a Python "
                          f"keyword, so `import {package}` is impossible; pick another name")
        elif package in sys.stdlib_module_names:
            errors.append(f"package_name {package!r} with python_package 'yes': it would shadow "
                          f"Python's standard module '{package}'; pick another name "
                          f"(e.g. {package + '_connector'!r})")
    return errors


def main() -> int:
    errors = validate(ANSWERS)
    if not errors:
        return 0
    print("error: the answers cannot generate a connector repository:", file=sys.stderr)
    for error in errors:
        print(f"  - {error}", file=sys.stderr)
    print("Nothing was generated. Run cookiecutter again with corrected answers.",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""The C++ sources build on Linux and macOS: every Linux-only API (or a
glibc-only one, or one macOS lacks) appears only inside an
`#if defined(__linux__)` branch. Code in the `#else` branch of such a check
is the portable path and must not use them."""

import pathlib
import re

import pytest

SCANNED_DIRS = ("sdk", "tests", "examples", "bench", "template")
SUFFIXES = {".c", ".cc", ".cpp", ".h", ".hpp"}

# Linux (or glibc) only, or spelled differently on macOS.
LINUX_ONLY = (
    "accept4", "dup3", "pipe2", "eventfd", "signalfd", "timerfd_create", "timerfd_settime",
    "memfd_create", "inotify_init", "inotify_init1", "inotify_add_watch", "epoll_create",
    "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "SOCK_NONBLOCK", "SOCK_CLOEXEC",
    "MSG_NOSIGNAL", "O_PATH", "O_TMPFILE", "fdatasync", "sigtimedwait", "sigwaitinfo",
    "splice", "copy_file_range", "fallocate", "posix_fadvise", "statx", "prctl", "gettid",
    "sched_getaffinity", "sched_setaffinity", "getauxval", "malloc_usable_size", "mremap",
    "TEMP_FAILURE_RETRY", "program_invocation_name", "program_invocation_short_name",
    "__GLIBC__",
)
LINUX_ONLY_PATTERN = re.compile(r"\b(" + "|".join(LINUX_ONLY) + r")\b|(/proc/)")

LINUX = r"(?:defined\s*\(\s*__linux__\s*\)|defined\s+__linux__)"
IS_LINUX = re.compile(rf"^{LINUX}$")
IS_NOT_LINUX = re.compile(rf"^!\s*{LINUX}$")


def strip_comments(text: str) -> str:
    """`text` with its comments blanked (newlines kept, so line numbers hold);
    string and character literals, raw strings included, stay as they are."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif raw := re.match(r'R"([^()\\ ]{0,16})\(', text[i:i + 20]):
            close = ")" + raw.group(1) + '"'
            end = text.find(close, i + raw.end())
            end = n if end < 0 else end + len(close)
            out.append(text[i:end])
            i = end
        elif text[i] == "'" and i > 0 and text[i - 1].isalnum():
            out.append(text[i])  # A digit separator (1'000), not a character literal.
            i += 1
        elif text[i] in "\"'":
            quote, j = text[i], i + 1
            while j < n and text[j] != quote and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _conjuncts(condition: str) -> list[str]:
    condition = condition.strip()
    while condition.startswith("(") and condition.endswith(")"):
        condition = condition[1:-1].strip()
    return [] if "||" in condition else [part.strip() for part in condition.split("&&")]


def requires_linux(condition: str) -> bool:
    """Whether code under `#if condition` compiles only on Linux."""
    return any(IS_LINUX.match(part) for part in _conjuncts(condition))


def excludes_linux(condition: str) -> bool:
    """Whether `condition` is exactly "not Linux", so that what follows it in
    the #elif and #else branches compiles only on Linux."""
    parts = _conjuncts(condition)
    return len(parts) == 1 and bool(IS_NOT_LINUX.match(parts[0]))


def unguarded_uses(text: str) -> list[tuple[int, str]]:
    """(line number, name) of every Linux-only name outside a Linux branch."""
    found = []
    # One frame per open #if: whether its current branch is Linux-only, and
    # whether an earlier branch took every system but Linux.
    stack: list[dict] = []
    lines = strip_comments(text).split("\n")
    number = 0
    while number < len(lines):
        line = lines[number]
        start = number + 1
        while line.endswith("\\") and number + 1 < len(lines):
            number += 1
            line = line[:-1] + " " + lines[number]
        number += 1
        directive = re.match(r"\s*#\s*(\w+)\s*(.*)", line)
        if directive:
            name, condition = directive.group(1), directive.group(2).strip()
            if name in ("if", "ifdef", "ifndef"):
                if name == "ifdef":
                    condition = f"defined({condition})"
                elif name == "ifndef":
                    condition = f"!defined({condition})"
                stack.append({"linux": requires_linux(condition),
                              "rest_linux": excludes_linux(condition)})
            elif name == "elif" and stack:
                frame = stack[-1]
                frame["linux"] = frame["rest_linux"] or requires_linux(condition)
                frame["rest_linux"] = frame["rest_linux"] or excludes_linux(condition)
            elif name == "else" and stack:
                stack[-1]["linux"] = stack[-1]["rest_linux"]
            elif name == "endif" and stack:
                stack.pop()
            if name != "include":
                continue
        if any(frame["linux"] for frame in stack):
            continue
        for match in LINUX_ONLY_PATTERN.finditer(line):
            found.append((start, match.group(0)))
    return found


def sources(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(path for directory in SCANNED_DIRS for path in (root / directory).rglob("*")
                  if path.suffix in SUFFIXES and path.is_file())


def test_no_linux_only_api_outside_a_linux_check(root: pathlib.Path):
    scanned = sources(root)
    assert len(scanned) > 50, "the scan found too few C++ sources to be looking in the right place"
    problems = [f"{path.relative_to(root)}:{line}: {name}"
                for path in scanned
                for line, name in unguarded_uses(path.read_text(errors="replace"))]
    assert not problems, (
        "Linux-only APIs outside an `#if defined(__linux__)` branch (macOS lacks them; "
        "keep a POSIX path in the #else):\n" + "\n".join(problems))


SAMPLE = r"""
#include <sys/eventfd.h>  // line 2: flagged
int Unguarded() { return eventfd(0, 0); }  // line 3: flagged
// eventfd in a comment is not code
/* nor is accept4
   in a block comment */
const char* kText = "see eventfd(2)";  // line 7: a string is code, flagged
#if defined(__linux__)
int Guarded() { return eventfd(0, EFD_CLOEXEC); }
#if HAVE_OTHER
int Nested() { return pipe2(fds, 0); }
#endif
#else
int Portable() { return pipe2(fds, 0); }  // line 14: the #else is not Linux, flagged
#endif
#ifndef __linux__
int Other() { return accept4(0, 0, 0, 0); }  // line 17: flagged
#else
int Linux() { return accept4(0, 0, 0, SOCK_CLOEXEC); }
#endif
#if defined(__APPLE__)
#elif defined(__linux__) && !defined(ANDROID)
const char* kExe = "/proc/self/exe";
#elif defined(__linux__) || defined(__FreeBSD__)
const char* kBsd = "/proc/curproc/file";  // line 25: not only Linux, flagged
#endif
#if defined __linux__ \
    && defined(__x86_64__)
int Continued() { return gettid(); }
#endif
const char* kRaw = R"(// not a comment: /proc/cpuinfo)";  // line 31: flagged
long kSeparated = 1'000;  // eventfd: a comment after a digit separator
int fdatasync_calls = 0;  // another name, not flagged
"""


def test_the_scan_flags_unguarded_uses_and_only_those():
    assert unguarded_uses(SAMPLE) == [
        (2, "eventfd"),
        (3, "eventfd"),
        (7, "eventfd"),
        (14, "pipe2"),
        (17, "accept4"),
        (25, "/proc/"),
        (31, "/proc/"),
    ]


@pytest.mark.parametrize("condition, linux", [
    ("defined(__linux__)", True),
    ("defined __linux__", True),
    ("(defined(__linux__))", True),
    ("defined(__linux__) && !defined(__ANDROID__)", True),
    ("defined(__linux__) || defined(__APPLE__)", False),
    ("!defined(__linux__)", False),
    ("defined(__APPLE__)", False),
])
def test_a_condition_is_linux_only_when_every_system_it_admits_is_linux(condition, linux):
    assert requires_linux(condition) is linux

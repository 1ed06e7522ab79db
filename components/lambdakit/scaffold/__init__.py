"""``lambdakit init [DIR]``: scaffold a new lambdakit program that plans, passes the prod gate and deploys into the
sandbox as it is.

The program: ``Pulumi.yaml`` with typed config, dev/staging/prod stack files, ``__main__.py`` with one
``LambdaService`` consuming an SQS queue (with a dead-letter queue and alarms), its handler and the handler's unit
test, per-environment policy config (copies of the installed pack's, for the team to tune) and an example CI
workflow. Existing files are never overwritten (``--force`` replaces the scaffold's own files only); nothing is
written unless everything can be.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from lambdakit._version import __version__
from lambdakit.cliutil import EXIT_OK, UsageError, caller_path, command, parser

TEMPLATE = Path(__file__).resolve().parent / "template"
#: Template file names that stand for dotted names (package data skips hidden paths).
RENAMES = {"_github": ".github", "_gitignore": ".gitignore", "__service_dir__": "@@service_dir@@"}
#: What a project and a service may be called: Pulumi project names and Lambda function names both accept these.
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,39}")
PLACEHOLDER = re.compile(r"@@(\w+)@@")


@dataclass(frozen=True)
class Scaffold:
    project: str
    service: str
    owner: str

    def values(self) -> dict[str, str]:
        return {
            "project": self.project,
            "service": self.service,
            "owner": self.owner,
            "version": __version__,
            "service_var": self.service.replace("-", "_"),
            "service_dir": self.service.replace("-", "_"),
        }


def _substitute(text: str, values: dict[str, str], source: Path) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template {source} uses an unknown placeholder @@{key}@@")
        return values[key]

    return PLACEHOLDER.sub(one, text)


def planned_files(scaffold: Scaffold, pack_config: Path) -> dict[Path, str]:
    """Relative path -> content of every file the scaffold writes."""
    values = scaffold.values()
    files: dict[Path, str] = {}
    for source in sorted(TEMPLATE.rglob("*")):
        if not source.is_file() or "__pycache__" in source.parts or source.suffix == ".pyc":
            continue
        parts = [RENAMES.get(part, part) for part in source.relative_to(TEMPLATE).parts]
        relative = Path(*[_substitute(part, values, source) for part in parts])
        files[relative] = _substitute(source.read_text(), values, source)
    for env in ("dev", "staging", "prod"):
        files[Path("policy-config") / f"{env}.json"] = (pack_config / f"{env}.json").read_text()
    return files


def write(target: Path, files: dict[Path, str], *, force: bool) -> list[Path]:
    """Write ``files`` under ``target``: refuse (before writing anything) when one exists and ``force`` is off;
    on a failure half-way, remove what this call wrote and put back what it overwrote."""
    existing = sorted(p for p in files if (target / p).exists())
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:5]) + (" ..." if len(existing) > 5 else "")
        raise UsageError(f"{target} already has {shown}; pick an empty folder or pass --force to overwrite them")
    originals = {p: (target / p).read_bytes() for p in existing if (target / p).is_file()}
    created_dirs: list[Path] = []
    written: list[Path] = []
    try:
        for relative, content in files.items():
            path = target / relative
            for parent in reversed(path.relative_to(target).parents):
                folder = target / parent
                if not folder.exists():
                    folder.mkdir()
                    created_dirs.append(folder)
            path.write_text(content)
            written.append(relative)
    except OSError as exc:
        for relative in written:
            if relative in originals:
                (target / relative).write_bytes(originals[relative])  # --force: put the earlier file back
            else:
                (target / relative).unlink(missing_ok=True)
        for folder in reversed(created_dirs):
            shutil.rmtree(folder, ignore_errors=True)
        raise UsageError(f"cannot write the scaffold into {target}: {exc.strerror or exc}") from None
    return written


def _name(value: str, what: str) -> str:
    if not NAME_RE.fullmatch(value):
        raise UsageError(
            f"{what} {value!r} must start with a letter and hold only letters, digits and '-' (at most 40 characters)"
        )
    return value


@command("init")
def main(argv: list[str] | None = None) -> int:
    p = parser("init", __doc__.split("\n\n")[0].replace("``", "`"))
    p.add_argument("dir", nargs="?", default=".", help="folder to create the program in (default: .)")
    p.add_argument("--name", help="project name (default: the folder's name)")
    p.add_argument("--service", help="name of the LambdaService (default: the project name)")
    p.add_argument("--owner", default="platform-team", help="the Owner tag (default: platform-team)")
    p.add_argument("--force", action="store_true", help="overwrite files of an earlier scaffold")
    args = p.parse_args(argv)
    target = caller_path(args.dir)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder")
    default_name = re.sub(r"[^A-Za-z0-9-]+", "-", target.name).strip("-") or "app"
    project = _name(args.name or default_name, "--name" if args.name else f"the folder name (use --name) of {target}")
    service = _name(args.service or project, "--service")
    from lambdakit.packdir import pack_dir

    files = planned_files(Scaffold(project, service, args.owner), pack_dir() / "config")
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        write(target, files, force=args.force)
    except UsageError:
        if created:
            shutil.rmtree(target, ignore_errors=True)
        raise
    where = args.dir if args.dir != "." else "this folder"
    print(f"Created the lambdakit program {project!r} (service {service!r}) in {where}: {len(files)} files.")
    cd = f"cd {args.dir} && " if args.dir != "." else ""
    print(
        "Next:\n"
        f"  {cd}python -m venv venv && venv/bin/pip install -r requirements-dev.txt\n"
        "  lambdakit plan                 # every stack's resources, offline\n"
        "  lambdakit sandbox              # deploy dev into a local AWS emulator and invoke the service\n"
        "  lambdakit gate --stack prod    # the policy pack, offline\n"
        "  python -m pytest tests         # the handler's unit tests\n"
        "  pulumi up --stack dev          # for real (Pulumi CLI and AWS credentials)"
    )
    return EXIT_OK

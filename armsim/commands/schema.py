"""``armsim schema``: the scene format's JSON Schema and its Markdown reference, from the specs.

::

    armsim schema                                  # the JSON Schema on standard output
    armsim schema --json docs/scene.schema.json --markdown docs/scenes.md   # regenerate the docs

``--markdown DOC`` replaces the text between ``<!-- begin: reference -->`` and
``<!-- end: reference -->`` in DOC with :func:`armsim.scene.reference_markdown`.
Bad arguments: one line on stderr, exit status 2, nothing written.
"""

from __future__ import annotations

import json
import sys

from armsim.commands.options import HelpSaid
from armsim.files import one_line, short_name   # (a name's escape code shown escaped)
from armsim.files import (InputError, OutputError, Outputs, read_regular, same_destination,
                          say)

MAX_DOC_BYTES = 16 << 20     # a markdown document --markdown rewrites: at most this size

__all__ = ["schema_main"]

BEGIN, END = "<!-- begin: reference -->\n", "<!-- end: reference -->"


class _Parser(HelpSaid):
    def error(self, message):  # one line, status 2, no usage dump
        print(f"armsim schema: error: {one_line(message)}", file=sys.stderr)
        raise SystemExit(2)


def schema_main(argv=None) -> int:
    from armsim import scene
    p = _Parser(prog="armsim schema",
                description="Print the JSON Schema of scene files (for editors), or write it and "
                            "the key reference into the docs.")
    p.add_argument("--json", metavar="PATH", help="write the JSON Schema to PATH instead of printing it")
    p.add_argument("--markdown", metavar="DOC",
                   help="replace the reference block of DOC (between '<!-- begin: reference -->' "
                        "and '<!-- end: reference -->')")
    args = p.parse_args(argv)
    for option, name, what in (("--json", args.json, "a file name (or - for standard output)"),
                               ("--markdown", args.markdown, "a file name")):
        if name == "":              # (was taken as not given: the schema printed, status 0)
            p.error(f"argument {option}: expected {what}, got ''")
    text = json.dumps(scene.json_schema(), indent=1, ensure_ascii=False) + "\n"
    doc = None
    if args.markdown:
        try:
            doc = read_regular(args.markdown, MAX_DOC_BYTES).decode("utf-8")
            doc = doc.replace("\r\n", "\n").replace("\r", "\n")   # (as text mode read it)
        except InputError as exc:       # a device, a pipe, a folder or a huge file: refused
            p.error(f"argument --markdown: cannot read '{short_name(args.markdown)}': {exc}")
        except UnicodeDecodeError:
            p.error(f"argument --markdown: '{short_name(args.markdown)}' is not UTF-8 text")
        if BEGIN not in doc or END not in doc.split(BEGIN, 1)[1]:
            p.error(f"argument --markdown: '{short_name(args.markdown)}' has no reference block")
        head, rest = doc.split(BEGIN, 1)
        doc = head + BEGIN + scene.reference_markdown().strip() + "\n" + END + rest.split(END, 1)[1]
    if not args.json and not args.markdown:
        try:
            say(text.rstrip("\n"))
        except OutputError as exc:      # a full disk: one line, exit status 2
            print(f"armsim schema: error: {one_line(exc)}", file=sys.stderr)
            return 2
        return 0
    if args.json and args.markdown and same_destination(args.json, args.markdown):
        p.error(f"argument --markdown: the same file as --json: {short_name(args.markdown)}")
    try:
        with Outputs() as outs:
            writes = []
            if args.json:
                writes.append((outs.add(args.json, "--json"), text))
            if doc is not None:
                writes.append((outs.add(args.markdown, "--markdown"), doc))
            for dest, content in writes:
                dest.write(content.encode("utf-8"))
    except OutputError as exc:
        print(f"armsim schema: error: {one_line(exc)}", file=sys.stderr)
        return 2
    return 0

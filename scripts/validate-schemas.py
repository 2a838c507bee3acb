#!/usr/bin/env python3
"""Second, independent validator of the JSON Schema bundle (Python `jsonschema`).

1. Every schema in docs/schemas/ (and in docs/schemas/released/*/) is checked against the
   draft 2020-12 metaschema, with format checking on (patterns must compile).
2. Every document in SAMPLES_DIR (written by
   `cargo run -p isms-schema --example sample_documents -- SAMPLES_DIR`, named
   `<kind>.<n>.json`) is validated against `<kind>.json` and, where it exists,
   `<kind>.output.json`, with format checking on (date, date-time, uuid).
3. A few hand-broken documents must be rejected, so that the check can fail.

Usage: scripts/validate-schemas.py SAMPLES_DIR
Needs: pip install "jsonschema>=4.18" rfc3339-validator
Exit status 0 when everything validates, 1 otherwise.
"""

import copy
import json
import pathlib
import sys

import jsonschema
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "schemas"


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    samples = pathlib.Path(sys.argv[1])
    checker = Draft202012Validator.FORMAT_CHECKER
    # Without rfc3339-validator, date-time would silently not be checked.
    if "date-time" not in checker.checkers:
        print("error: install rfc3339-validator so that date-time is checked", file=sys.stderr)
        return 1
    failures = 0

    schema_files = sorted(SCHEMAS.glob("*.json")) + sorted(SCHEMAS.glob("released/*/*.json"))
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=checker)
    schemas = {}
    meta_checked = 0
    for path in schema_files:
        if path.name == "index.json":
            continue
        meta_checked += 1
        schema = json.loads(path.read_text())
        errors = list(meta.iter_errors(schema))
        for e in errors:
            failures += 1
            print(f"{path.relative_to(ROOT)}: {e.json_path}: {e.message}")
        if path.parent == SCHEMAS:
            schemas[path.name] = schema
    print(f"metaschema: {meta_checked} schemas checked")

    validators = {
        name: Draft202012Validator(schema, format_checker=checker) for name, schema in schemas.items()
    }
    documents = sorted(samples.glob("*.json"))
    if not documents:
        print(f"error: no documents in {samples}", file=sys.stderr)
        return 1
    checked = 0
    for path in documents:
        kind = path.name.split(".")[0]
        doc = json.loads(path.read_text())
        for name in (f"{kind}.json", f"{kind}.output.json"):
            if name not in validators:
                if name == f"{kind}.json":
                    failures += 1
                    print(f"{path.name}: no schema {name}")
                continue
            for e in validators[name].iter_errors(doc):
                failures += 1
                print(f"{path.name} against {name}: {e.json_path}: {e.message}")
            checked += 1
    print(f"documents: {len(documents)} documents, {checked} validations")

    # The check can fail: broken documents are rejected.
    register = next((p for p in documents if p.name.startswith("register.")), None)
    good = json.loads(register.read_text()) if register else None
    if good and good["nonconformities"]:
        broken = []
        d = copy.deepcopy(good)
        d["nonconformities"][0]["severity"] = "critical"
        broken.append(("wrong enum value", d))
        d = copy.deepcopy(good)
        d["nonconformities"][0]["detected_at"] = "2026-02-30T10:00:00Z"
        broken.append(("bad date-time", d))
        d = copy.deepcopy(good)
        d["nonconformities"][0]["colour"] = "red"
        broken.append(("unknown field", d))
        d = copy.deepcopy(good)
        del d["nonconformities"][0]["title"]
        broken.append(("missing required field", d))
        d = copy.deepcopy(good)
        d["nonconformities"][0]["requirements"] = ["ISO 27001 A.8.13"]
        broken.append(("bad reference", d))
        d = copy.deepcopy(good)
        d["nonconformities"][0]["id"] = "not-a-uuid"
        broken.append(("bad uuid", d))
        for label, doc in broken:
            if validators["register.json"].is_valid(doc):
                failures += 1
                print(f"broken document accepted: {label}")
        print(f"broken documents: {len(broken)} checked")

    if failures:
        print(f"FAILED: {failures} problems (jsonschema {jsonschema_version()})")
        return 1
    print(f"all schemas and documents valid (Python jsonschema {jsonschema_version()})")
    return 0


def jsonschema_version() -> str:
    from importlib.metadata import version

    return version("jsonschema")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Checks runnel's Query codec against botocore itself, for every SQS and SNS operation.

For each operation a sample input (every member set: nested structures, lists and maps of two
entries, text with XML's special characters, CR, non-ASCII) is serialized by botocore's
QuerySerializer into a form body, decoded by runnel (query_check_tool), and must come back as the
JSON the JSON protocol would carry. A sample output is rendered as XML by runnel and must parse,
with botocore's QueryParser, back into the same dict. A second input variant sends empty lists.

Run with Debian's python3 (botocore 1.29, the last SQS Query model botocore shipped with boto3
1.26). The three message-move operations are newer than 1.29: they are checked against botocore
1.34.22's SQS Query model when its file exists (google-cloud-sdk bundles that botocore).
Usage: query_botocore_check.py <path to query_check_tool>
"""
import base64
import datetime
import json
import os
import subprocess
import sys
from urllib.parse import urlencode

import botocore.model
import botocore.parsers
import botocore.serialize
import botocore.session

BOTOCORE_1_34_SQS = "/usr/lib/google-cloud-sdk/lib/third_party/botocore/data/sqs/2012-11-05/service-2.json"
TEXT = 'v&<1>"\'\r\n\t é€😀'
WHEN = datetime.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=datetime.timezone.utc)


def sample(shape, variant, depth=0):
    t = shape.type_name
    if t == "structure":
        if depth > 6:
            return {}
        return {name: sample(m, variant, depth + 1) for name, m in shape.members.items()}
    if t == "list":
        if variant == "empty":
            return []
        return [sample(shape.member, variant, depth + 1), sample(shape.member, variant, depth + 1)]
    if t == "map":
        count = 1 if variant == "empty" else 2
        return {f"k{i}{TEXT}": sample(shape.value, variant, depth + 1) for i in range(count)}
    if t == "string":
        return TEXT
    if t in ("integer", "long"):
        return -7 if variant == "empty" else 42
    if t == "boolean":
        return variant != "empty"
    if t == "blob":
        return b"\x00\xffbin"
    if t in ("double", "float"):
        return 1.5
    if t == "timestamp":
        return WHEN
    raise ValueError(t)


def as_json(value):
    """The JSON protocol's form of a Python value (what a handler takes or returns)."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return value


def has_timestamp(shape, depth=0):
    if depth > 8:
        return False
    t = shape.type_name
    if t == "timestamp":
        return True
    if t == "structure":
        return any(has_timestamp(m, depth + 1) for m in shape.members.values())
    if t == "list":
        return has_timestamp(shape.member, depth + 1)
    if t == "map":
        return has_timestamp(shape.value, depth + 1)
    return False


def main():
    tool = sys.argv[1]
    session = botocore.session.get_session()
    models = {"sqs": session.get_service_model("sqs"), "sns": session.get_service_model("sns")}
    cases = []  # (service, operation model)
    for service, model in models.items():
        for name in model.operation_names:
            cases.append((service, model.operation_model(name)))
    if os.path.exists(BOTOCORE_1_34_SQS):
        with open(BOTOCORE_1_34_SQS) as f:
            newer = botocore.model.ServiceModel(json.load(f), "sqs")
        for name in ("StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask"):
            cases.append(("sqs", newer.operation_model(name)))
    else:
        print(f"note: {BOTOCORE_1_34_SQS} not found; message-move operations not checked")

    serializer = botocore.serialize.create_serializer("query", include_validation=False)
    parser = botocore.parsers.create_parser("query")
    lines, checks = [], []
    for service, op in cases:
        if op.input_shape is not None:
            for variant in ("full", "empty"):
                if has_timestamp(op.input_shape):
                    continue  # no SQS/SNS input has one; the codec keeps such text as is
                params = sample(op.input_shape, variant)
                request = serializer.serialize_to_request(params, op)
                body = urlencode(request["body"], doseq=True)
                lines.append(json.dumps({"service": service, "op": op.name, "decode": body}))
                checks.append(("decode", service, op, variant, params))
        if op.output_shape is not None:
            result = sample(op.output_shape, "full")
            lines.append(json.dumps({"service": service, "op": op.name, "render": json.dumps(as_json(result))}))
            checks.append(("render", service, op, "full", result))
    out = subprocess.run([tool], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(answers) == len(checks), (len(answers), len(checks))

    failures = 0
    for (kind, service, op, variant, expected), answer in zip(checks, answers):
        label = f"{service}.{op.name} {kind} {variant}"
        if "error" in answer:
            print(f"FAIL {label}: {answer['error']}")
            failures += 1
            continue
        if kind == "decode":
            got = json.loads(answer["json"])
            want = as_json(expected)
        else:
            response = {"body": answer["xml"].encode(), "headers": {}, "status_code": 200}
            got = parser.parse(response, op.output_shape)
            got.pop("ResponseMetadata", None)
            want = expected
            if got == want and "<RequestId>req-1</RequestId>" not in answer["xml"]:
                got = "request id missing"
        if got != want:
            print(f"FAIL {label}:\n  want {want!r}\n  got  {got!r}")
            failures += 1
    print(f"{len(checks) - failures}/{len(checks)} codec checks agree with botocore")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

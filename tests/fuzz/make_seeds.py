#!/usr/bin/env python3
"""make_seeds.py FUZZER DIR: deep and wide seed inputs for one libFuzzer target.

Every parser fed by the network must bound its depth and its cost per entry; these are the inputs
that found the crashes and stalls of the hardening issue, in the shapes each fuzzer reads.
"""
import os
import sys

name, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)

DEEP = 130_000
WIDE = 100_000


def json_seeds():
    yield 'deep_array', '[' * DEEP + ']' * DEEP
    yield 'deep_object', '{"a":' * DEEP + '1' + '}' * DEEP
    yield 'deep_unclosed', '[' * DEEP
    yield 'deep_member', '{"Item":{"p":' + '{"L":[' * 40 + '{"S":"x"}' + ']}' * 40 + '}}'
    yield 'deep_value', '{"Item":{"p":' + '{"M":{"a":' * 20_000 + '{"S":"x"}' + '}}' * 20_000 + '}}'
    yield 'wide_array', '{"Item":{"p":{"L":[' + ','.join(['{"N":"1"}'] * WIDE) + ']}}}'
    yield 'wide_object', '{' + ','.join('"k%d":{"S":"v"}' % i for i in range(WIDE)) + '}'
    yield 'bad_utf8', '{"Item":{"p":{"S":"\xff\xfe"}}}'


def seeds():
    if name in ('request_json_fuzz',):
        for n, s in json_seeds():
            yield n, s.encode('latin-1')
    elif name in ('lambda_fuzz', 'policy_fuzz'):
        for n, s in json_seeds():
            for selector in range(4):
                yield '%s_%d' % (n, selector), bytes([selector]) + s.encode('latin-1')
        if name == 'policy_fuzz':
            yield 'policy_deep_statement', b'\x00{"Statement":' + b'[' * DEEP + b']' * DEEP + b'}'
            yield 'filter_deep', b'\x01{"a":' * 1 + b'{"b":' * DEEP + b'["x"]' + b'}' * DEEP + b'}'
            yield 'filter_wide', b'\x01{"a":[' + b','.join(b'"v%d"' % i for i in range(WIDE)) + b']}'
    elif name == 'expr_fuzz':
        yield 'deep_parens', b'(' * DEEP + b'a = :v' + b')' * DEEP
        yield 'deep_path', b'a' + b'.b' * WIDE + b' = :v'
        yield 'wide_or', b' OR '.join(b'a = :v' for _ in range(WIDE // 10))
        yield 'deep_not', b'NOT ' * DEEP + b'a = :v'
    elif name == 'query_fuzz':
        # Byte 0 picks the operation; a few of them get each wide form.
        wide = 5_000
        forms = {
            'wide_attributes': b'&'.join(b'MessageAttribute.%d.Name=a%d&MessageAttribute.%d.Value.DataType=String'
                                         % (i, i, i) for i in range(1, wide)),
            'wide_entries': b'&'.join(b'SendMessageBatchRequestEntry.%d.Id=%d&PublishBatchRequestEntries.member.%d.Id=%d'
                                      % (i, i, i, i) for i in range(1, wide)),
            'wide_map': b'&'.join(b'Attributes.entry.%d.key=k%d&Attributes.entry.%d.value=v' % (i, i, i) for i in range(1, wide)),
            'deep_keys': b'Tags' + b'.member.1' * 5_000 + b'=x',
        }
        for n, form in forms.items():
            for op in range(0, 48, 3):
                yield '%s_%d' % (n, op), bytes([op]) + form + b'\0{}'
    elif name == 'sigv4_fuzz':
        yield 'wide_signed_headers', b'AWS4-HMAC-SHA256 Credential=a/20150830/us-east-1/iam/aws4_request, SignedHeaders=' + \
            b';'.join(b'h%d' % i for i in range(WIDE)) + b', Signature=00'
        yield 'wide_params', b'AWS4-HMAC-SHA256 ' + b','.join(b'k%d=v' % i for i in range(WIDE))


for n, data in seeds():
    with open(os.path.join(out, n), 'wb') as f:
        f.write(data)

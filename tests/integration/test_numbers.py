"""Numbers: 38 significant digits, magnitude 1e-130..9.99e125, normalised output, exact arithmetic.

Uses the low-level client so numbers go on the wire exactly as written ({'N': '...'}).
"""

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from util import error_code, random_string


def N(v):
    return {'N': v}


@pytest.fixture
def rw(dynamodb, table_s):
    """(write(value_str) -> stored str, update(expr, values) -> stored 'x')."""
    key = {'p': {'S': random_string()}}

    def write(value):
        dynamodb.put_item(TableName=table_s, Item=dict(key, x=N(value)))
        return dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True)['Item']['x']['N']

    def update(expr, values):
        dynamodb.update_item(TableName=table_s, Key=key, UpdateExpression=expr,
                             ExpressionAttributeValues={k: N(v) for k, v in values.items()})
        return dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True)['Item']['x']['N']
    return write, update


def fails(fn, *args):
    with pytest.raises(ClientError) as e:
        fn(*args)
    assert error_code(e) == 'ValidationException', e.value.response['Error']


# 38 significant digits are stored exactly.
@pytest.mark.parametrize('v', ['12345678901234567890123456789012345678',
                               '-1.2345678901234567890123456789012345678',
                               '0.00000000000000000000000000000000000012345678901234567890123456789012345678'])
def test_38_digits_ok(rw, v):
    write, _ = rw
    assert Decimal(write(v)) == Decimal(v)


# 39 significant digits are rejected.
@pytest.mark.parametrize('v', ['123456789012345678901234567890123456789',
                               '1.23456789012345678901234567890123456789'])
def test_39_digits_fail(rw, v):
    write, _ = rw
    fails(write, v)


# Trailing zeros are not significant digits: 1 followed by 100 zeros is fine.
def test_trailing_zeros_not_significant(rw):
    write, _ = rw
    assert Decimal(write('1' + '0' * 100)) == Decimal('1e100')


# Numbers come back normalised: no leading/trailing zeros, no exponent, no '+', no '-0'.
@pytest.mark.parametrize('given,stored', [('1.50', '1.5'), ('0001.23', '1.23'), ('1e2', '100'),
                                          ('1.5E1', '15'), ('+3', '3'), ('-0', '0'), ('0.0', '0'),
                                          ('1.0', '1'), ('100', '100'), ('.5', '0.5'),
                                          ('1E-5', '0.00001'), ('-007.100', '-7.1')])
def test_normalisation(rw, given, stored):
    write, _ = rw
    assert write(given) == stored


# Magnitudes 1e-130 and 9.99...e125 are the extremes that can be stored.
@pytest.mark.parametrize('v', ['1e-130', '-1e-130', '9.9999999999999999999999999999999999999e125',
                               '-9.9999999999999999999999999999999999999e125'])
def test_magnitude_limits_ok(rw, v):
    write, _ = rw
    assert Decimal(write(v)) == Decimal(v)


# Beyond them: overflow / underflow.
@pytest.mark.parametrize('v', ['1e126', '-1e126', '1e-131', '0.9e-130'])
def test_magnitude_limits_fail(rw, v):
    write, _ = rw
    fails(write, v)


# Strings that are not numbers are rejected (DynamoDB has no NaN or Infinity).
@pytest.mark.parametrize('v', ['NaN', 'Infinity', '-Infinity', 'abc', '', ' 1', '1 ', '1e', '--1', '0x10'])
def test_not_a_number(rw, v):
    write, _ = rw
    fails(write, v)


# Arithmetic is exact decimal, not binary floating point: 0.1 + 0.2 == 0.3.
def test_exact_decimal_addition(rw):
    _, update = rw
    assert update('SET x = :a + :b', {':a': '0.1', ':b': '0.2'}) == '0.3'


# Large integers add without losing the last digit.
def test_large_integer_arithmetic(rw):
    _, update = rw
    assert update('SET x = :a + :b', {':a': '99999999999999999999999999999999999998', ':b': '1'}) == \
        '99999999999999999999999999999999999999'
    assert update('SET x = :a - :b', {':a': '10000000000000000000000', ':b': '1'}) == '9999999999999999999999'


# ADD uses the same exact arithmetic.
def test_add_exact(rw):
    write, update = rw
    write('0.1')
    assert update('ADD x :d', {':d': '0.2'}) == '0.3'


# A sum whose magnitude exceeds the range fails: 9e125 + 9e125.
def test_arithmetic_overflow(rw):
    _, update = rw
    fails(update, 'SET x = :a + :b', {':a': '9e125', ':b': '9e125'})


# A result needing more than 38 digits fails instead of rounding: 1e50 + 1.
def test_arithmetic_inexact(rw):
    _, update = rw
    fails(update, 'SET x = :a + :b', {':a': '1e50', ':b': '1'})


# Number sets: equal numbers in different spellings are duplicates only if numerically equal;
# the stored set holds normalised members.
def test_number_set_normalised(dynamodb, table_s):
    key = {'p': {'S': random_string()}}
    dynamodb.put_item(TableName=table_s, Item=dict(key, s={'NS': ['1.50', '2', '03']}))
    got = dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True)['Item']['s']['NS']
    assert sorted(got) == ['1.5', '2', '3']


# Numbers in keys are also normalised and compare numerically: 1.0 and 1 are the same key.
def test_number_key_identity(dynamodb, table_sn):
    p = random_string()
    dynamodb.put_item(TableName=table_sn, Item={'p': {'S': p}, 'c': N('1.0'), 'v': {'S': 'a'}})
    got = dynamodb.get_item(TableName=table_sn, Key={'p': {'S': p}, 'c': N('1')}, ConsistentRead=True)
    assert got['Item'] == {'p': {'S': p}, 'c': N('1'), 'v': {'S': 'a'}}

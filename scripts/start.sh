#!/usr/bin/env bash
# Sets up and starts runnel on its embedded store (data in ./.runnel-data), then shows a first AWS
# CLI and boto3 call against it. The server keeps running in the foreground; Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -G Ninja > /dev/null
cmake --build build --target runnel -j"$(nproc)"

port="${RUNNEL_PORT:-4566}"
./build/runnel serve --port "$port" --data-dir ./.runnel-data &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/_runnel/health" > /dev/null && break
  sleep 0.05
done

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
endpoint="http://127.0.0.1:$port"
echo "runnel is serving on $endpoint"
echo "\$ aws dynamodb create-table --endpoint-url $endpoint --table-name messages ..."
/usr/bin/aws dynamodb describe-table --endpoint-url "$endpoint" --table-name messages > /dev/null 2>&1 ||
  /usr/bin/aws dynamodb create-table --endpoint-url "$endpoint" --table-name messages \
    --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH \
    --billing-mode PAY_PER_REQUEST --query 'TableDescription.TableArn' --output text
echo "\$ python3 (boto3): put_item + get_item"
/usr/bin/python3 - "$endpoint" <<'PY'
import sys, time, boto3
ddb = boto3.client("dynamodb", endpoint_url=sys.argv[1])
ddb.put_item(TableName="messages", Item={"id": {"S": "hello"}, "text": {"S": "first message"}, "at": {"N": str(int(time.time()))}})
print(ddb.get_item(TableName="messages", Key={"id": {"S": "hello"}})["Item"])
PY
echo "runnel keeps running (pid $server); Ctrl-C stops it."
wait $server

import json
import logging

from logconfig import JsonFormatter, redact, request_id


def test_redact_masks_id_and_phone_numbers():
    line = "user 11010519491231002X phone 13812345678 attempt 42 ts 1409735669"
    out = redact(line)
    assert "11010519491231002X" not in out and "1101**********002X" in out
    assert "13812345678" not in out and "138****5678" in out
    assert "attempt 42 ts 1409735669" in out


def test_json_lines_carry_request_id_and_extras():
    record = logging.LogRecord("lifecert.test", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    record.attempt_id = "a1"
    token = request_id.set("rid-1")
    try:
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert entry["msg"] == "hello x"
    assert entry["request_id"] == "rid-1"
    assert entry["attempt_id"] == "a1"

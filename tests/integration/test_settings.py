import base64
import os

import pytest

from settings import ConfigError, load_settings


def prod_env(**over):
    env = {
        "LIFECERT_MODE": "production",
        "LIFECERT_SECRET_KEY": "x" * 40,
        "LIFECERT_DATABASE_URL": "postgresql://u@db/lifecert",
        "LIFECERT_REDIS_URL": "redis://redis:6379/0",
        "LIFECERT_S3_ENDPOINT": "minio:9000",
        "LIFECERT_S3_ACCESS_KEY": "a",
        "LIFECERT_S3_SECRET_KEY": "b",
        "LIFECERT_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "LIFECERT_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "LIFECERT_WECHAT_APP_ID": "wx1",
        "LIFECERT_WECHAT_APP_SECRET": "s",
        "LIFECERT_WECHAT_TOKEN": "t",
    }
    env.update(over)
    return {k: v for k, v in env.items() if v is not None}


def test_embedded_defaults_need_nothing(tmp_path):
    s = load_settings({"LIFECERT_INSTANCE_DIR": str(tmp_path)})
    assert s.mode == "embedded"
    assert s.database_url.startswith("sqlite:///")
    assert s.redis_url == "embedded"
    assert s.object_store == "local"


def test_complete_production_settings_load():
    s = load_settings(prod_env())
    assert s.is_production and s.object_store == "s3"


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"LIFECERT_SECRET_KEY": None}, "LIFECERT_SECRET_KEY is required"),
        ({"LIFECERT_SECRET_KEY": "short"}, "at least 32 characters"),
        ({"LIFECERT_REDIS_URL": "redis//oops"}, "REDIS_URL is not a redis:// URL"),
        ({"LIFECERT_REDIS_URL": "redis://host:notaport/0"}, "REDIS_URL has a bad port"),
        ({"LIFECERT_DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with"),
        ({"LIFECERT_DATA_KEY": "bm90IDMyIGJ5dGVz"}, "DATA_KEY must be 32 random bytes"),
        ({"LIFECERT_S3_ENDPOINT": None}, "S3_ENDPOINT is required"),
        ({"LIFECERT_S3_ENDPOINT": "http://minio:9000"}, "without a scheme"),
        ({"LIFECERT_WECHAT_AES_KEY": "short"}, "must be 43 characters"),
        ({"LIFECERT_MODE": "prod"}, "MODE must be"),
        ({"LIFECERT_SMS_URL": "dysmsapi.aliyuncs.com"}, "SMS_URL is the gateway's http(s) address"),
        ({"LIFECERT_SMS_URL": "https://dysmsapi.aliyuncs.com/"}, "SMS_ACCESS_KEY_SECRET is the published"),
        ({"LIFECERT_SMS_TEMPLATES": "no_such_kind=SMS_1"}, "SMS_TEMPLATES is 'kind=TemplateCode"),
        ({"LIFECERT_OLD_INDEX_KEYS": "bm90IDMyIGJ5dGVz"}, "OLD_INDEX_KEYS is 'base64-32-bytes"),
    ],
)
def test_bad_production_settings_are_refused_with_a_clear_message(override, expected):
    with pytest.raises(ConfigError) as exc:
        load_settings(prod_env(**override))
    assert expected in str(exc.value)


def test_all_problems_are_listed_at_once():
    with pytest.raises(ConfigError) as exc:
        load_settings({"LIFECERT_MODE": "production"})
    message = str(exc.value)
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DATA_KEY", "WECHAT_APP_SECRET"):
        assert name in message


def test_vision_thresholds_come_from_the_environment(tmp_path):
    s = load_settings({"LIFECERT_INSTANCE_DIR": str(tmp_path), "LIFECERT_VISION_MATCH_THRESHOLD": "0.5",
                       "LIFECERT_VISION_ANALYSIS_FPS": "8"})
    config = s.vision_config()
    assert config.match_threshold == 0.5 and config.analysis_fps == 8.0
    assert str(config.models_dir) == str(s.vision_models_dir)


def test_vision_runtime_per_model_comes_from_the_environment(tmp_path):
    s = load_settings({"LIFECERT_INSTANCE_DIR": str(tmp_path), "LIFECERT_VISION_DETECTOR_RUNTIME": "paddle",
                       "LIFECERT_VISION_PADDLE_MODULES_DIR": str(tmp_path / "hub"),
                       "LIFECERT_VISION_PADDLE_DETECTOR_MODULE": "ultra_light_fast_generic_face_detector_1mb_320"})
    config = s.vision_config()
    assert config.detector_runtime == "paddle" and config.antispoof_runtime == "onnx"
    assert config.paddle_modules_dir == tmp_path / "hub"
    assert config.paddle_detector_module == "ultra_light_fast_generic_face_detector_1mb_320"


@pytest.mark.parametrize("name, value, expected", [
    ("LIFECERT_VISION_DETECTOR_RUNTIME", "tensorrt", "must be onnx or paddle"),
    ("LIFECERT_VISION_MATCH_THRESHOLD", "low", "must be a number"),
    ("LIFECERT_VISION_NO_SUCH_THING", "1", "does not name a numeric vision setting"),
])
def test_bad_vision_settings_are_refused(tmp_path, name, value, expected):
    with pytest.raises(ConfigError, match=expected):
        load_settings({"LIFECERT_INSTANCE_DIR": str(tmp_path), name: value})


def test_sms_gateway_settings_load():
    s = load_settings(prod_env(LIFECERT_SMS_URL="https://dysmsapi.aliyuncs.com/", LIFECERT_SMS_ACCESS_KEY_ID="LTAI1",
                               LIFECERT_SMS_ACCESS_KEY_SECRET="k" * 30, LIFECERT_SMS_TEMPLATES="self_claim=SMS_4711"))
    assert s.sms.url == "https://dysmsapi.aliyuncs.com/" and s.sms.template_codes["self_claim"] == "SMS_4711"
    assert load_settings(prod_env()).sms.url == ""  # no gateway: roster-phone notices wait in the outbox

"""``python -m fakewechat --port 8099 --callback http://127.0.0.1:5000/wechat``: the fake WeChat on its own.

Its AppID, secret, token and AES key come from the same LIFECERT_* settings as
the product's (so the two agree), unless given here.
"""

from __future__ import annotations

import argparse

from fakewechat.server import FakeWeChat, config_from_settings
from settings import load_settings


def main(argv: list[str] | None = None) -> None:

    parser = argparse.ArgumentParser(prog="python -m fakewechat", description=__doc__)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--callback", default="http://127.0.0.1:5000/wechat", help="the bot's /wechat URL")
    parser.add_argument("--aes-key", default=None, help="EncodingAESKey: push in safe mode (default: settings)")
    parser.add_argument("--token-grace", type=int, default=300, help="seconds an old token works after a refresh")
    args = parser.parse_args(argv)
    settings = load_settings()
    config = config_from_settings(settings.wechat, args.callback, args.port, sms=settings.sms)
    if args.aes_key is not None:
        config.encoding_aes_key = args.aes_key
    config.token_grace_s = args.token_grace
    fake = FakeWeChat(config)
    print(f"fake WeChat on {fake.url}  (page: {fake.url}/_fake/ ; pushes to {config.callback_url})", flush=True)
    print(f"point the service at it: LIFECERT_WECHAT_API_BASE_URL={fake.url}", flush=True)
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

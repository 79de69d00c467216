"""The WeChat bot: what the official account answers to messages, events and QR scans.

``endpoint`` is the /wechat entry point (signature, decryption, retries, the 5-second budget);
``replies`` decides the answer; ``scenes`` maps a scanned QR code to its handler.
"""

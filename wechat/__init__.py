"""WeChat: the official-account endpoint, the API client, the menu, template messages and the fake WeChat.

Try it by hand (embedded mode, a local redis-server on 6399)::

    export LIFECERT_REDIS_URL=redis://127.0.0.1:6399/0 LIFECERT_WECHAT_API_BASE_URL=http://127.0.0.1:8099
    flask --app app db-upgrade
    flask --app app fake-wechat --port 8099 --callback http://127.0.0.1:5000/wechat &
    gunicorn -w 2 -b 127.0.0.1:5000 app:app &
    flask --app app wechat-worker &          # sends template / customer-service messages
    flask --app app wechat-menu push
    # open http://127.0.0.1:8099/_fake/ : create a user, 关注, click the menu, send 帮助

For the rest of the product:
    flows.outbox.enqueue_template / enqueue_text   queue a message (recorded as a Notification)
    bot.scenes.on_scene / create_scene_qrcode    what scanning one of our QR codes does
    wechat.oauth.authorize_url / exchange_code      web-page OAuth for the H5 pages
    wechat.client.make_client                       the wechatpy client (shared token)
"""

"""WeChat: the official-account endpoint, the API client, the menu, template messages and the fake WeChat."""
